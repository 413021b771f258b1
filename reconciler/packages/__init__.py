"""Package sources: installers from the fleet repo, Git LFS, https, S3 and Azure Blob.

An adapter like the connectors: :class:`PackageSources` implements the domain's
``PackageStore`` port for the apply step (a verified local file per installer, downloaded
once into a content-addressed :class:`ContentCache`, resumed after a broken transfer) and
probes remote pins for ``eucora validate``; :mod:`reconciler.packages.inspect` reads what an
installer says about itself and its evidence for ``eucora intent new``. See
``docs/packages.md``.
"""

from reconciler.packages._cache import ContentCache, Pin, file_digest
from reconciler.packages._lfs import git_lfs_available
from reconciler.packages._remote import CREDENTIAL_KEYS, StoreCredentials
from reconciler.packages._store import PackageSources, ProbeResult, default_cache_dir

__all__ = [
    "CREDENTIAL_KEYS",
    "ContentCache",
    "PackageSources",
    "Pin",
    "ProbeResult",
    "StoreCredentials",
    "default_cache_dir",
    "file_digest",
    "git_lfs_available",
]
