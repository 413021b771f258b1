"""The content-addressed download cache: each installer once, verified, resumable.

Part of the apply step (before an upload) and of ``eucora validate`` (what is already
cached is checked by hash). A file lives at ``<root>/sha256/<hex>`` only once its size and
SHA-256 equal the pin; while it downloads it is ``<root>/partial/<hex>``, which a broken
transfer leaves behind so the next attempt (in this pass or a later one) resumes from its
end. A ``flock`` beside the partial file keeps two processes from writing the same entry.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from reconciler.domain.errors import PackageError, PackageUnavailableError

CHUNK = 8 << 20
#: chunks from an offset; the opener returns the offset it really starts at (a server that
#: ignores ``Range`` starts again at 0) and an iterator of chunks
Opener = Callable[[int], AbstractContextManager[tuple[int, Iterator[bytes]]]]


class Interrupted(Exception):
    """A transfer broke off (reset, timeout, short body): resume from what arrived."""


@dataclass(frozen=True, slots=True)
class Pin:
    """What a package must be: its SHA-256 and size, and a name for messages."""

    sha256: str
    size: int
    name: str


def file_digest(path: Path) -> tuple[str, int]:
    """SHA-256 and size of a file, read in chunks."""
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def verify(path: Path, pin: Pin) -> None:
    """Raise :class:`PackageError` unless ``path`` has exactly the pinned content."""
    sha256, size = file_digest(path)
    if size != pin.size:
        raise PackageError(f"package {pin.name!r} is {size} bytes; the intent declares {pin.size}")
    if sha256 != pin.sha256:
        raise PackageError(
            f"package {pin.name!r} has sha256 {sha256}; the intent declares {pin.sha256}"
        )


class ContentCache:
    """Verified installers by SHA-256 under ``root`` (created private, mode 0700)."""

    def __init__(self, root: Path, *, attempts: int = 4, max_wait: float = 5.0) -> None:
        self.root = Path(root)
        self.attempts = attempts
        self.max_wait = max_wait

    def path(self, sha256: str) -> Path:
        return self.root / "sha256" / sha256

    def partial(self, sha256: str) -> Path:
        return self.root / "partial" / sha256

    def cached(self, pin: Pin) -> Path | None:
        """The cached file for ``pin`` after checking it again; a damaged entry is removed."""
        path = self.path(pin.sha256)
        if not path.is_file():
            return None
        try:
            verify(path, pin)
        except PackageError:
            path.unlink(missing_ok=True)
            return None
        return path

    def fetch(self, pin: Pin, opener: Opener) -> Path:
        """The verified file for ``pin``, downloading (or resuming) through ``opener``."""
        found = self.cached(pin)
        if found is not None:
            return found
        for folder in ("sha256", "partial"):
            (self.root / folder).mkdir(parents=True, exist_ok=True, mode=0o700)
        with self._locked(pin.sha256):
            found = self.cached(pin)  # another process finished it while we waited
            if found is not None:
                return found
            return self._download(pin, opener)

    @contextlib.contextmanager
    def _locked(self, sha256: str) -> Iterator[None]:
        lock = self.partial(sha256).with_suffix(".lock")
        with lock.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _download(self, pin: Pin, opener: Opener) -> Path:
        part = self.partial(pin.sha256)
        if part.is_file() and part.stat().st_size > pin.size:
            part.unlink()
        retrying = Retrying(
            stop=stop_after_attempt(self.attempts),
            wait=wait_exponential(multiplier=0.2, max=self.max_wait),
            retry=retry_if_exception_type(Interrupted),
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    self._transfer(pin, opener, part)
        except Interrupted as exc:
            have = part.stat().st_size if part.is_file() else 0
            raise PackageUnavailableError(
                f"download of {pin.name!r} broke off at {have} of {pin.size} bytes after "
                f"{self.attempts} attempts ({exc}); the next attempt resumes from there"
            ) from exc
        try:
            verify(part, pin)
        except PackageError:
            part.unlink(missing_ok=True)
            raise
        final = self.path(pin.sha256)
        part.replace(final)
        return final

    def _transfer(self, pin: Pin, opener: Opener, part: Path) -> None:
        have = part.stat().st_size if part.is_file() else 0
        if have == pin.size:
            return
        with opener(have) as (start, chunks), part.open("r+b" if part.exists() else "wb") as out:
            out.truncate(start)
            out.seek(start)
            received = start
            for chunk in chunks:
                received += len(chunk)
                if received > pin.size:
                    out.close()
                    part.unlink(missing_ok=True)
                    raise PackageError(
                        f"package {pin.name!r} is larger than the {pin.size} bytes the intent "
                        "declares"
                    )
                out.write(chunk)
        if received < pin.size:
            if received == have:  # nothing more to read: the object itself is shorter
                part.unlink(missing_ok=True)
                raise PackageError(
                    f"package {pin.name!r} is {received} bytes; the intent declares {pin.size}"
                )
            raise Interrupted(f"{received} of {pin.size} bytes arrived")


__all__ = ["CHUNK", "ContentCache", "Interrupted", "Opener", "Pin", "file_digest", "verify"]
