"""``eucora validate``'s checks of what lies outside the documents: remote package pins
(without downloading the installers) and the evidence files' pack.

For every intent whose package ``file`` is an https, S3 or Azure Blob URL: the object must
exist and its size (HEAD / object metadata) must equal ``sizeBytes``; its sha256 is checked
only when the installer is already in the local content-addressed cache (hashing needs the
bytes, and a CI run should not pull gigabytes). The download at apply verifies both again.
A store that cannot be reached or whose credentials are missing is a warning: the check
could not be made, it did not fail.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Iterator
from pathlib import Path

from reconciler.domain.errors import EucoraError, PackageError, PackageUnavailableError
from reconciler.domain.findings import Code, Finding, Severity
from reconciler.domain.models import FleetRepo, Source
from reconciler.domain.package_source import is_remote
from reconciler.domain.tenant import PackageRef
from reconciler.packages import PackageSources, evidence_problems


class RemoteCheck(enum.StrEnum):
    SIZE = "size"  # existence and size from the store's metadata (the default)
    DOWNLOAD = "download"  # download into the cache and verify the sha256 too
    OFF = "off"


def remote_package_findings(
    repo: FleetRepo, sources: PackageSources, check: RemoteCheck = RemoteCheck.SIZE
) -> Iterator[Finding]:
    if check is RemoteCheck.OFF:
        return
    for name in sorted(repo.intents):
        intent = repo.intents[name]
        for platform, package in (("windows", intent.windows), ("macos", intent.macos)):
            if package is None or not is_remote(package.file):
                continue
            ref = PackageRef(package.file, package.sha256, package.size_bytes)
            finding = functools.partial(_finding, intent.source, f"/spec/packages/{platform}")
            try:
                if check is RemoteCheck.DOWNLOAD:
                    sources.local_file_sync(ref)
                    continue
                probe = sources.probe(ref)
            except PackageUnavailableError as exc:
                yield finding("file", Code.PACKAGE_UNREACHABLE, f"could not check: {exc.message}",
                              Severity.WARNING)  # fmt: skip
                continue
            except PackageError as exc:
                yield finding("file", Code.PACKAGE_MISSING, exc.message)
                continue
            except EucoraError as exc:  # credentials missing or refused
                yield finding("file", Code.PACKAGE_UNREACHABLE, f"could not check: {exc.message}",
                              Severity.WARNING)  # fmt: skip
                continue
            if probe.size is not None and probe.size != package.size_bytes:
                yield finding(
                    "sizeBytes",
                    Code.PACKAGE_SIZE_MISMATCH,
                    f"{package.file!r} is {probe.size} bytes in its store; the intent declares "
                    f"sizeBytes {package.size_bytes}",
                )


def evidence_findings(repo: FleetRepo, root: Path) -> Iterator[Finding]:
    """The evidence pack of every intent against its files: SBOM and scan report hashes,
    component count, findings per severity (the same check the apply step makes)."""
    for name in sorted(repo.intents):
        intent = repo.intents[name]
        for pointer, message in evidence_problems(root, intent.spec):
            yield Finding(intent.source.file, intent.source.line, None, pointer,
                          Code.EVIDENCE_MISMATCH, message)  # fmt: skip


def _finding(
    source: Source,
    pointer: str,
    field: str,
    code: str,
    message: str,
    severity: str = Severity.ERROR,
) -> Finding:
    return Finding(source.file, source.line, None, f"{pointer}/{field}", code, message, severity)


def environment_sources(root: str) -> PackageSources:
    """The package store as the CLI sees it: cache and credentials from the environment."""
    return PackageSources(Path(root))
