"""Git LFS pointers in the fleet repo: the object fetched with ``git lfs smudge``.

The pass reads the commit's tree blob by blob, so an LFS-tracked installer arrives as its
pointer (oid = the installer's SHA-256, size). :func:`lfs_opener` streams the real object
through ``git lfs smudge`` run in the fleet repo's checkout, which uses the repo's own LFS
remote and its local object store; without git-lfs, or when the LFS server does not have
the object, the error names the file and what to do.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

from reconciler.domain.errors import PackageError
from reconciler.packages._cache import CHUNK, Interrupted, Opener

_STDERR_LIMIT = 2000
#: what git-lfs says when the LFS server (or a file:// remote) lacks the object
_ABSENT = ("missing object", "not found", "does not exist", "404")


def git_lfs_available() -> bool:
    if shutil.which("git") is None:
        return False
    done = subprocess.run(["git", "lfs", "version"], capture_output=True, check=False)
    return done.returncode == 0


def lfs_opener(file: str, pointer: bytes, checkout: Path) -> Opener:
    """Chunks of the LFS object behind ``pointer`` (``file`` names it in errors)."""

    @contextlib.contextmanager
    def open_from(offset: int) -> Iterator[tuple[int, Iterator[bytes]]]:
        del offset  # smudge has no ranges: the cache starts the partial file again
        if not git_lfs_available():
            raise PackageError(
                f"package {file!r} is a Git LFS pointer and git-lfs is not installed here; "
                "install git-lfs (or fetch the object into the checkout: `git lfs pull`)"
            )
        environment = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
        process = subprocess.Popen(
            ["git", "lfs", "smudge", "--", file],
            cwd=checkout,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=environment,
        )
        assert process.stdin is not None and process.stdout is not None  # noqa: S101
        process.stdin.write(pointer)
        process.stdin.close()
        try:
            yield 0, _chunks(file, process)
        finally:
            if process.poll() is None:
                process.kill()
            process.wait()

    return open_from


def _chunks(file: str, process: subprocess.Popen[bytes]) -> Iterator[bytes]:
    assert process.stdout is not None and process.stderr is not None  # noqa: S101
    while chunk := process.stdout.read(CHUNK):
        yield chunk
    if process.wait() != 0:
        text = process.stderr.read()[-_STDERR_LIMIT:].decode(errors="replace")
        lines = [line for line in text.splitlines() if "error" in line.lower()]
        detail = (lines[0] if lines else text).strip()
        if any(word in detail.lower() for word in _ABSENT):
            raise PackageError(
                f"package {file!r} is a Git LFS pointer whose object the LFS server does not "
                f"have ({detail}); push it with `git lfs push --all origin`"
            )
        raise Interrupted(f"git lfs smudge failed for {file!r}: {detail}")


__all__ = ["git_lfs_available", "lfs_opener"]
