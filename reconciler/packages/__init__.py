"""Package sources: installers from the fleet repo, Git LFS, https, S3 and Azure Blob.

An adapter like the connectors: :class:`PackageSources` implements the domain's
``PackageStore`` port for the apply step (a verified local file per installer, downloaded
once into a content-addressed :class:`ContentCache`, resumed after a broken transfer) and
probes remote pins for ``eucora validate``; :func:`inspect_installer`, :func:`read_sbom`
and :func:`read_scan` read what an installer and its evidence say for ``eucora intent
new``, and :func:`evidence_problems` checks an intent's evidence pack again (``validate``,
apply). See ``docs/packages.md``.
"""

from reconciler.packages._cache import ContentCache, Pin, file_digest
from reconciler.packages._evidence import (
    SbomFacts,
    ScanSummary,
    check_evidence,
    evidence_problems,
    read_sbom,
    read_scan,
)
from reconciler.packages._installer import InstallerFacts, inspect_installer
from reconciler.packages._lfs import git_lfs_available
from reconciler.packages._remote import CREDENTIAL_KEYS, StoreCredentials
from reconciler.packages._store import PackageSources, ProbeResult, default_cache_dir

__all__ = [
    "CREDENTIAL_KEYS",
    "ContentCache",
    "InstallerFacts",
    "PackageSources",
    "Pin",
    "ProbeResult",
    "SbomFacts",
    "ScanSummary",
    "StoreCredentials",
    "check_evidence",
    "default_cache_dir",
    "evidence_problems",
    "file_digest",
    "git_lfs_available",
    "inspect_installer",
    "read_sbom",
    "read_scan",
]
