"""``PackageSources``: the package store of the apply step and ``eucora validate``.

Implements the ``PackageStore`` port over every kind of package ``file``: a path in the
fleet repo (Git LFS objects fetched through ``git lfs``), ``https://``, ``s3://`` and
``az://``. Remote content and LFS objects go through the content-addressed cache; a plain
repo file is handed out where it is, after its declared pins are checked. Downloads run in
a worker thread so the pass's event loop keeps serving the other intents, one download per
installer at a time.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.domain.errors import PackageError
from reconciler.domain.package_source import (
    InvalidLocation,
    PackageLocation,
    SourceKind,
    package_location,
)
from reconciler.domain.packages import LFS_POINTER_START, lfs_pointer
from reconciler.domain.tenant import PackageRef
from reconciler.packages._cache import ContentCache, Opener, Pin, file_digest, verify
from reconciler.packages._evidence import check_evidence
from reconciler.packages._lfs import lfs_opener
from reconciler.packages._remote import (
    StoreCredentials,
    https_opener,
    https_size,
    object_opener,
    object_size,
    object_store,
)

_POINTER_MAX = 1024


def default_cache_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """``EUCORA_PACKAGE_CACHE``, else ``$EUCORA_CACHE_DIR/packages`` (the operator's cache
    volume), else ``$XDG_CACHE_HOME/eucora/packages`` (``~/.cache``)."""
    if explicit := environ.get("EUCORA_PACKAGE_CACHE"):
        return Path(explicit)
    if operator := environ.get("EUCORA_CACHE_DIR"):
        return Path(operator) / "packages"
    base = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "eucora" / "packages"


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """What ``validate`` learnt about a remote package without downloading it."""

    size: int | None
    verified: bool  # the content itself was checked (it is in the cache)


class PackageSources:
    """Package files of one fleet repo revision.

    ``root`` is the exported commit tree, ``checkout`` the git work tree ``git lfs`` runs
    in (None: LFS pointers cannot be resolved), ``cache`` the download cache (default
    :func:`default_cache_dir`), ``credentials`` the object stores' secrets.
    """

    def __init__(
        self,
        root: Path,
        *,
        checkout: Path | None = None,
        cache: ContentCache | Path | None = None,
        credentials: StoreCredentials | None = None,
        evidence: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self.root = Path(root).resolve()
        self.checkout = checkout
        if not isinstance(cache, ContentCache):
            cache = ContentCache(cache if cache is not None else default_cache_dir())
        self.cache = cache
        #: without explicit credentials, the same keys from the environment (the CLI, or a
        #: pod whose GitSource names no package store Secret)
        self.credentials = credentials or StoreCredentials.from_mapping(os.environ)
        self._locks: dict[str, asyncio.Lock] = {}
        #: intent name -> spec, whose evidence pack is checked before its first upload
        self.evidence = dict(evidence or {})

    async def check_evidence(self, intent: str) -> None:
        """Raise :class:`PackageError` when the intent's SBOM or scan report no longer
        match what it declares (hash, component count, findings per severity)."""
        spec = self.evidence.get(intent)
        if spec is not None:
            await asyncio.to_thread(check_evidence, self.root, intent, spec)

    async def local_file(self, ref: PackageRef) -> Path:
        """The verified local file for ``ref`` (see the ``PackageStore`` port)."""
        lock = self._locks.setdefault(ref.sha256 or ref.file, asyncio.Lock())
        async with lock:
            return await asyncio.to_thread(self.local_file_sync, ref)

    def local_file_sync(self, ref: PackageRef) -> Path:
        location = self._location(ref)
        if location.kind is SourceKind.REPO:
            return self._repo_file(ref)
        return self.cache.fetch(self._pin(ref), self._opener(location))

    def probe(self, ref: PackageRef) -> ProbeResult:
        """Existence and size of a remote package, and its hash when already cached."""
        location = self._location(ref)
        if ref.sha256 is not None and ref.size_bytes is not None:
            pin = Pin(ref.sha256, ref.size_bytes, ref.file)
            if self.cache.cached(pin) is not None:
                return ProbeResult(ref.size_bytes, verified=True)
        if location.kind is SourceKind.HTTPS:
            return ProbeResult(https_size(location), verified=False)
        filesystem = object_store(location, self.credentials)
        return ProbeResult(object_size(location, filesystem), verified=False)

    def script(self, file: str) -> bytes:
        """A repo file an intent runs (a detection script); a symbolic link is refused."""
        path = self.root / file
        try:
            if path.is_symlink():
                raise PackageError(f"detection script {file!r} is a symbolic link; refused")
            if self.root not in path.resolve().parents:
                raise PackageError(f"detection script {file!r} is outside the package store")
            return path.read_bytes()
        except OSError as exc:
            raise PackageError(f"detection script {file!r} cannot be read: {exc.strerror}") from exc

    # --- helpers -------------------------------------------------------------------

    @staticmethod
    def _location(ref: PackageRef) -> PackageLocation:
        try:
            return package_location(ref.file)
        except InvalidLocation as exc:
            raise PackageError(str(exc)) from exc

    @staticmethod
    def _pin(ref: PackageRef) -> Pin:
        if ref.sha256 is None or ref.size_bytes is None:
            raise PackageError(
                f"package {ref.file!r} is not pinned: a remote package needs sha256 and sizeBytes"
            )
        return Pin(ref.sha256, ref.size_bytes, ref.file)

    def _opener(self, location: PackageLocation) -> Opener:
        if location.kind is SourceKind.HTTPS:
            return https_opener(location)
        return object_opener(location, object_store(location, self.credentials))

    def _repo_file(self, ref: PackageRef) -> Path:
        path = (self.root / ref.file).resolve()
        if self.root not in path.parents:
            raise PackageError(f"package {ref.file!r} is outside the package store")
        if not path.is_file():
            raise PackageError(f"package {ref.file!r} does not exist in the fleet repo")
        with path.open("rb") as stream:
            head = stream.read(_POINTER_MAX + 1)
        if head.startswith(LFS_POINTER_START) and len(head) <= _POINTER_MAX:
            return self._lfs_object(ref, head)
        if ref.sha256 is not None and ref.size_bytes is not None:
            verify(path, Pin(ref.sha256, ref.size_bytes, ref.file))
        elif ref.sha256 is not None or ref.size_bytes is not None:
            sha256, size = file_digest(path)
            verify(path, Pin(ref.sha256 or sha256, ref.size_bytes or size, ref.file))
        return path

    def _lfs_object(self, ref: PackageRef, pointer: bytes) -> Path:
        recorded = lfs_pointer(pointer)
        if recorded is None:
            raise PackageError(f"package {ref.file!r} is a malformed Git LFS pointer")
        oid, size = recorded
        pin = Pin(ref.sha256 or oid, ref.size_bytes or size, ref.file)
        if (oid, size) != (pin.sha256, pin.size):
            raise PackageError(
                f"package {ref.file!r}: its Git LFS pointer records sha256 {oid} and {size} "
                f"bytes; the intent declares {pin.sha256} and {pin.size}"
            )
        found = self.cache.cached(pin)
        if found is not None:
            return found
        if self.checkout is None:
            raise PackageError(
                f"package {ref.file!r} is a Git LFS pointer and no checkout is known to fetch "
                "its object from"
            )
        return self.cache.fetch(pin, lfs_opener(ref.file, pointer, self.checkout))


__all__ = ["PackageSources", "ProbeResult", "default_cache_dir"]
