"""Benchmark: a large remote installer through the package cache, in constant memory.

Serves a file of ``--mb`` MiB from a local HTTP server on 127.0.0.1 (breaking the first
transfer off half way, so the resume is measured too), fetches it through
``PackageSources`` into a fresh cache, then hands it out again from the cache (re-verified).
Prints the time of each step and the peak Python heap (tracemalloc) next to the file's
size: the download and the verification stream in 8 MiB chunks, so the peak stays far
below the installer's size. Run on demand:

    .venv/bin/python benchmarks/package_cache.py [--mb 512]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import tempfile
import threading
import time
import tracemalloc
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from reconciler.domain.tenant import PackageRef
from reconciler.packages import ContentCache, PackageSources

CHUNK = 1 << 20


def serve(path: Path, cut_at: int) -> tuple[ThreadingHTTPServer, list[str | None]]:
    size, ranges, cuts = path.stat().st_size, [], [cut_at]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            wanted = self.headers.get("Range")
            ranges.append(wanted)
            start = int(wanted.removeprefix("bytes=").split("-")[0]) if wanted else 0
            self.send_response(206 if wanted else 200)
            self.send_header("Content-Length", str(size - start))
            self.end_headers()
            limit = cuts.pop() if cuts else size
            with path.open("rb") as source:
                source.seek(start)
                sent = start
                while sent < min(limit, size) and (chunk := source.read(CHUNK)):
                    chunk = chunk[: max(0, limit - sent)]
                    self.wfile.write(chunk)
                    sent += len(chunk)
            if limit < size:
                self.close_connection = True

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, ranges


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=512)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        source = base / "installer.pkg"
        digest = hashlib.sha256()
        with source.open("wb") as out:
            for _ in range(args.mb):
                block = os.urandom(CHUNK)
                digest.update(block)
                out.write(block)
        size = source.stat().st_size
        server, ranges = serve(source, cut_at=size // 2)
        url = f"http://127.0.0.1:{server.server_address[1]}/installer.pkg"
        ref = PackageRef(url, digest.hexdigest(), size)
        (base / "repo").mkdir()
        store = PackageSources(base / "repo", cache=ContentCache(base / "cache", max_wait=0.01))
        tracemalloc.start()
        started = time.perf_counter()
        store.local_file_sync(ref)
        download = time.perf_counter() - started
        _, peak_download = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        started = time.perf_counter()
        store.local_file_sync(ref)
        again = time.perf_counter() - started
        _, peak_again = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        server.shutdown()
    mib = size / (1 << 20)
    print(f"installer            {mib:.0f} MiB, requests {ranges}")
    print(f"download + resume    {download:.2f} s ({mib / download:.0f} MiB/s), "
          f"peak heap {peak_download / (1 << 20):.1f} MiB")  # fmt: skip
    print(f"cached hand-out      {again:.2f} s (re-verified), "
          f"peak heap {peak_again / (1 << 20):.1f} MiB")  # fmt: skip


if __name__ == "__main__":
    main()
