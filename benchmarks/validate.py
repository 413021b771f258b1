"""Benchmark: `eucora validate` on a generated fleet repo of 5,000 intents (+ approvals).

Prints the time and peak memory of the loader next to the floor — a bare ``yaml.load``
with the C safe loader over the same files — and their ratio. Run on demand:

    .venv/bin/python benchmarks/validate.py [--intents 5000] [--approvals 2500]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "fleet-repo"


def generate(root: Path, intents: int, approvals: int) -> int:
    """A repo with the example's fleet and risk model and ``intents`` distinct intents."""
    shutil.copytree(EXAMPLE / "risk-models", root / "risk-models")
    shutil.copyfile(EXAMPLE / "fleet.yaml", root / "fleet.yaml")
    template = (EXAMPLE / "intents" / "7zip-24.08.yaml").read_text()
    template = template.replace("    supersedes: 7zip-23.01\n", "")
    approval = (
        EXAMPLE / "approvals" / "sap-gui-8.00-pilot-broad-global-erin.okafor.yaml"
    ).read_text()
    (root / "intents").mkdir()
    (root / "approvals").mkdir()
    for i in range(intents):
        name = f"app{i:05d}-1.{i % 97}"
        text = template.replace("name: 7zip-24.08", f"name: {name}").replace(
            'version: "24.08"', f'version: "1.{i % 97}.{i}"'
        )
        (root / "intents" / f"{name}.yaml").write_text(text)
        if i < approvals:
            (root / "approvals" / f"{name}-erin.yaml").write_text(
                approval.replace(
                    "sap-gui-8.00-pilot-broad-global-erin.okafor", f"{name}-erin"
                ).replace("intent: sap-gui-8.00", f"intent: {name}")
            )
    return intents + min(approvals, intents) + 2


def _child(mode: str, repo: str) -> None:
    """Runs one measurement in a fresh process so peak RSS belongs to it alone."""
    started = time.perf_counter()
    if mode == "floor":
        loader = yaml.CSafeLoader
        count = 0
        for path in sorted(Path(repo).rglob("*.yaml")):
            with path.open("rb") as handle:
                count += sum(1 for _ in yaml.load_all(handle, Loader=loader))
        findings = 0
    else:
        # imported here so the floor's process does not pay for it
        from reconciler.domain.documents.loader import load_repo  # noqa: PLC0415

        result = load_repo(repo)
        count, findings = result.documents, len(result.findings)
    elapsed = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "peak_mib": peak_kib / 1024,
                "documents": count,
                "findings": findings,
            }
        )
    )


def measure(mode: str, repo: Path, runs: int) -> dict[str, float]:
    best: dict[str, float] | None = None
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, __file__, "--child", mode, str(repo)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        figures = json.loads(out)
        if best is None or figures["seconds"] < best["seconds"]:
            best = figures
    assert best is not None
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--intents", type=int, default=5000)
    parser.add_argument("--approvals", type=int, default=2500)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", nargs=2, metavar=("MODE", "REPO"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp)
        documents = generate(repo, args.intents, args.approvals)
        floor = measure("floor", repo, args.runs)
        loader = measure("validate", repo, args.runs)
    assert loader["findings"] == 0, "generated repo should validate clean"
    print(f"documents: {documents} ({args.intents} intents, {args.approvals} approvals)")
    print(f"{'':22}{'seconds':>10}{'peak MiB':>10}{'docs/s':>10}")
    for label, figures in (("yaml.load (CSafeLoader)", floor), ("eucora validate", loader)):
        rate = figures["documents"] / figures["seconds"]
        print(f"{label:22}{figures['seconds']:>10.2f}{figures['peak_mib']:>10.1f}{rate:>10.0f}")
    print(f"ratio validate / floor: {loader['seconds'] / floor['seconds']:.2f}x (target <= 3x)")


if __name__ == "__main__":
    main()
