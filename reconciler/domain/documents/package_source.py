"""Where a package file lives: the fleet repo, an ``https://`` URL, S3 or Azure Blob.

Part of load+validate: a package ``file`` is either a relative path inside the fleet repo
(its content pinned by Git, optionally through Git LFS) or a remote object pinned by the
``sha256`` and ``sizeBytes`` the intent declares. This module only reads the reference;
fetching is the package store's job (``reconciler.packages``). A reference that carries
credentials (user info, a SAS or presigned signature) is refused: secrets never live in the
fleet repo, the store's credentials come from the environment or a Kubernetes Secret.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

#: query parameters that make a URL a credential (Azure SAS, S3 presigned URLs)
_SIGNED_QUERY = ("sig", "x-amz-signature", "x-amz-credential", "signature")
#: plain http is accepted only for these hosts (local mirrors, tests)
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


class SourceKind(enum.StrEnum):
    REPO = "repo"
    HTTPS = "https"
    S3 = "s3"
    AZURE = "azure"


@dataclass(frozen=True, slots=True)
class PackageLocation:
    """A parsed package reference. ``container``/``key`` are the bucket (S3) or container
    (Azure) and the object name; ``url`` is the reference as written."""

    kind: SourceKind
    url: str
    container: str = ""
    key: str = ""

    @property
    def remote(self) -> bool:
        return self.kind is not SourceKind.REPO


class InvalidLocation(ValueError):
    """A package reference that cannot be used; the message says why."""


def is_remote(file: str) -> bool:
    """Whether ``file`` names something outside the fleet repo (it has a URL scheme)."""
    return "://" in file


def package_location(file: str) -> PackageLocation:
    """Parse a package ``file``; raises :class:`InvalidLocation` for a URL that is not
    ``https://host/path``, ``s3://bucket/key`` or ``az://container/blob``."""
    if not is_remote(file):
        return PackageLocation(SourceKind.REPO, file)
    parts = urlsplit(file)
    scheme = parts.scheme.lower()
    if parts.username is not None or parts.password is not None:
        raise InvalidLocation(
            f"{file!r} carries credentials in the URL; the package store's credentials come "
            "from the environment or the GitSource's packageStoreSecretRef, never the repo"
        )
    signed = [k for k in parse_qs(parts.query) if k.lower() in _SIGNED_QUERY]
    if signed:
        raise InvalidLocation(
            f"{file!r} is a signed URL (query {', '.join(signed)}); a signature is a secret "
            "and expires: name the object and give the store's credentials out of band"
        )
    if scheme in ("https", "http"):
        if not parts.hostname or not parts.path.strip("/"):
            raise InvalidLocation(f"{file!r} needs a host and a path")
        if scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
            raise InvalidLocation(
                f"{file!r} uses plain http; use https:// (http is accepted for loopback only)"
            )
        return PackageLocation(SourceKind.HTTPS, file)
    if scheme in ("s3", "az"):
        container, key = parts.netloc, parts.path.lstrip("/")
        if not container or not key or key.endswith("/"):
            example = "s3://bucket/path/file.pkg" if scheme == "s3" else "az://container/file"
            raise InvalidLocation(f"{file!r} must name a bucket and an object, e.g. {example}")
        if parts.query or parts.fragment:
            raise InvalidLocation(f"{file!r}: a query or fragment is not part of an object name")
        kind = SourceKind.S3 if scheme == "s3" else SourceKind.AZURE
        return PackageLocation(kind, file, container, key)
    raise InvalidLocation(
        f"{file!r}: scheme {parts.scheme!r} is not a package source; use a repo path, "
        "https://, s3:// or az://"
    )


def file_name(file: str) -> str:
    """The last path segment of a reference (what the installer is called)."""
    path = urlsplit(file).path if is_remote(file) else file
    return path.rstrip("/").rsplit("/", 1)[-1]


__all__ = [
    "LOOPBACK_HOSTS",
    "InvalidLocation",
    "PackageLocation",
    "SourceKind",
    "file_name",
    "is_remote",
    "package_location",
]
