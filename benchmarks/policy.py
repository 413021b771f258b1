"""Benchmark: decisions per second and peak memory of the embedded policy engine.

Realistic inputs are the policy test cases (every gate's pass, fail and boundary), cycled.
Measures one thread, then N threads with one interpreter each (regopy interpreters are
not thread-safe; the compiled bundle is shared). Run on demand:

    .venv/bin/python benchmarks/policy.py [--decisions 5000] [--threads 2]
"""

from __future__ import annotations

import argparse
import resource
import threading
import time
import tracemalloc
from itertools import cycle, islice

from reconciler.policy import EmbeddedEngine, builtin_dir, load_cases, load_policy_set


def run(engine: EmbeddedEngine, work: list[tuple[str, dict[str, object]]]) -> None:
    for decision, document in work:
        result = engine.decide(decision, document)
        assert not any(v.id == "policy-error" for v in result.deny), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--decisions", type=int, default=5000)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    started = time.perf_counter()
    engine = EmbeddedEngine(load_policy_set())
    compile_seconds = time.perf_counter() - started
    cases = load_cases([builtin_dir()])
    work = [(c.decision, c.input) for c in islice(cycle(cases), args.decisions)]
    run(engine, work[:50])  # warm up

    started = time.perf_counter()
    run(engine, work)
    single = time.perf_counter() - started
    by_kind = {}
    for kind in ("promotion", "health", "admission"):
        subset = [w for w in work if w[0] == kind]
        started = time.perf_counter()
        run(engine, subset)
        by_kind[kind] = len(subset) / (time.perf_counter() - started)

    tracemalloc.start()
    run(engine, work[:1000])
    _, peak_traced = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    per_thread = len(work) // args.threads
    threads = [
        threading.Thread(target=run, args=(engine, work[i * per_thread : (i + 1) * per_thread]))
        for i in range(args.threads)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    multi = time.perf_counter() - started

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"policy set: {len(engine.policies.modules)} modules, compiled in {compile_seconds:.2f}s")
    print(f"inputs: {len(cases)} distinct cases, {len(work)} decisions")
    print(f"single thread:      {len(work) / single:8.0f} decisions/s (all kinds, cycled)")
    for kind, rate in by_kind.items():
        print(f"  {kind:17} {rate:8.0f} decisions/s")
    print(
        f"{args.threads} threads:          {per_thread * args.threads / multi:8.0f} decisions/s "
        "(one interpreter per thread)"
    )
    print(f"peak Python heap over 1,000 decisions: {peak_traced / 1024 / 1024:.1f} MiB")
    print(f"peak RSS of the process: {rss:.1f} MiB")


if __name__ == "__main__":
    main()
