"""Package files checked before merge: the installer an intent names is the one it declares.

Part of load+validate (``eucora validate`` and ``eucora plan`` ask for it): each package
file must exist in the fleet repo, and its SHA-256 and size must match what the intent
declares, so a wrong hash or a missing file is a finding on the PR rather than a failed
upload after the tenant app was created. A Git LFS pointer (the checkout did not fetch the
object) is recognised: its recorded oid and size are checked instead, with a warning that
the installer itself is not in the checkout.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.domain.documents.package_source import InvalidLocation, is_remote, package_location
from reconciler.domain.findings import Code, Severity

#: the first line of every Git LFS pointer file (https://github.com/git-lfs/git-lfs/blob/main/docs/spec.md)
LFS_POINTER_START = b"version https://git-lfs.github.com/spec/v1"
_LFS_MAX_BYTES = 1024
_LFS_OID = re.compile(rb"^oid sha256:([0-9a-f]{64})$", re.M)
_LFS_SIZE = re.compile(rb"^size (\d+)$", re.M)
_CHUNK = 1 << 20

PLATFORMS = ("windows", "macos")


@dataclass(frozen=True, slots=True)
class PackageProblem:
    path: tuple[str, ...]
    code: str
    message: str
    severity: str = Severity.ERROR


@dataclass(frozen=True, slots=True)
class _Content:
    sha256: str
    size: int
    lfs: bool


def lfs_pointer(head: bytes) -> tuple[str, int] | None:
    """The (oid, size) a Git LFS pointer records, or None when ``head`` is not one."""
    if not head.startswith(LFS_POINTER_START) or len(head) > _LFS_MAX_BYTES:
        return None
    oid, size = _LFS_OID.search(head), _LFS_SIZE.search(head)
    if oid and size:
        return oid[1].decode(), int(size[1])
    return None


def _content(path: Path) -> _Content:
    with path.open("rb") as stream:
        head = stream.read(_LFS_MAX_BYTES + 1)
        if (pointer := lfs_pointer(head)) is not None:
            return _Content(*pointer, lfs=True)
        digest = hashlib.sha256(head)
        total = len(head)
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
            total += len(chunk)
    return _Content(digest.hexdigest(), total, lfs=False)


def _near_miss(root: Path, file: str) -> str | None:
    """A file that differs only in letter case (fine on Windows and macOS, not in Git/CI)."""
    target = root / file
    if not target.parent.is_dir():
        return None
    lower = target.name.lower()
    for candidate in target.parent.iterdir():
        if candidate.name.lower() == lower:
            return candidate.relative_to(root).as_posix()
    return None


def package_problems(root: Path, intent: Mapping[str, Any]) -> Iterator[PackageProblem]:
    """Problems with the package files of one intent document (already schema-valid)."""
    packages = intent.get("spec", {}).get("packages", {})
    for platform in PLATFORMS:
        package = packages.get(platform)
        if not isinstance(package, Mapping) or not isinstance(package.get("file"), str):
            continue
        base = ("spec", "packages", platform)
        file: str = package["file"]
        if is_remote(file):
            continue  # pinned by the loader; checked by the package store (no I/O here)
        path = root / file
        if not path.is_file():
            near = _near_miss(root, file)
            hint = f"; did you mean {near!r}? (Git and CI are case-sensitive)" if near else ""
            yield PackageProblem(
                (*base, "file"),
                Code.PACKAGE_MISSING,
                f"package file {file!r} does not exist in the fleet repo{hint}",
            )
            continue
        content = _content(path)
        if content.lfs:
            yield PackageProblem(
                (*base, "file"),
                Code.PACKAGE_LFS_POINTER,
                f"{file!r} is a Git LFS pointer, not the installer: its recorded oid and size "
                "were checked; fetch the object before a reconcile uploads it (`git lfs pull`; "
                "actions/checkout: `lfs: true`)",
                Severity.WARNING,
            )
        declared_sha = package.get("sha256")
        if isinstance(declared_sha, str) and declared_sha != content.sha256:
            yield PackageProblem(
                (*base, "sha256"),
                Code.PACKAGE_SHA256_MISMATCH,
                f"sha256 of {file!r} is {content.sha256}; the intent declares {declared_sha}",
            )
        declared_size = package.get("sizeBytes")
        if isinstance(declared_size, int) and declared_size != content.size:
            yield PackageProblem(
                (*base, "sizeBytes"),
                Code.PACKAGE_SIZE_MISMATCH,
                f"{file!r} is {content.size} bytes; the intent declares sizeBytes "
                f"{declared_size} (the size of the file itself)",
            )


def remote_package_problems(package: Any) -> Iterator[tuple[str, str, str]]:
    """(code, field, message) for a package whose ``file`` is a URL: it must parse as a
    package source and be pinned by ``sha256`` and ``sizeBytes`` (what is downloaded is
    then exactly what was reviewed)."""
    if not isinstance(package, Mapping):
        return
    file = str(package.get("file"))
    try:
        package_location(file)
    except InvalidLocation as exc:
        yield Code.PACKAGE_SOURCE_INVALID, "file", str(exc)
        return
    for field in ("sha256", "sizeBytes"):
        if package.get(field) is None:
            yield (
                Code.PACKAGE_UNPINNED,
                "file",
                f"remote package {file!r} must declare {field}: a package outside the repo "
                "is pinned by its sha256 and size (`eucora intent new FILE` computes both)",
            )


__all__ = [
    "LFS_POINTER_START",
    "PackageProblem",
    "lfs_pointer",
    "package_problems",
    "remote_package_problems",
]
