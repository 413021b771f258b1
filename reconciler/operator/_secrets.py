"""The Secrets a GitSource names, turned into what git, provenance and the connectors take.

- ``secretRef``: Git credentials. ``username`` + ``password`` or ``token`` for HTTPS, or
  ``identity`` (an SSH private key) with optional ``known_hosts``. They reach git through
  the environment of its command only (:class:`~reconciler.gitops.GitCredentials`).
- ``signersSecretRef``: key ``allowed_signers``, the CAB signers file, written to a
  private file whose path the engine hands to signature checks; optional key
  ``trust-root.yaml``, the trust root (CAB roles, governance approvers and quorum, first
  trusted versions), written beside it. Without it the operator's own trust root
  (``default_trust``: ``EUCORA_TRUST_ROOT``, a mounted file) applies, and without either
  nothing is trusted.
- ``tenantSecretRef``: each provider's keys (``INTUNE_*``, ``JAMF_*``; the prefixes come
  from ``reconciler.connectors.registry``), parsed once into connector settings.
- ``packageStoreSecretRef``: ``AWS_*`` and ``AZURE_STORAGE_*`` keys, the credentials of the
  object stores package files name (kept in memory, handed to the package store only).

Files go to a per-source directory readable by the operator's user only and are rewritten
on every fetch, so a rotated Secret takes effect on the next interval.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from reconciler.compose.connectors import TenantSettings
from reconciler.domain.errors import ConfigurationError
from reconciler.gitops import GitCredentials
from reconciler.packages import CREDENTIAL_KEYS, StoreCredentials

SIGNERS_KEY = "allowed_signers"
TRUST_ROOT_KEY = "trust-root.yaml"
#: the username most Git hosts accept with a personal access token
TOKEN_USERNAME = "x-access-token"  # noqa: S105  (a username, not a secret)


class SecretReader(Protocol):
    async def get_secret(self, namespace: str, name: str) -> dict[str, str]: ...


@dataclass(frozen=True, slots=True)
class SourceSecrets:
    git: GitCredentials | None = None
    signers_file: Path | None = None
    tenants: TenantSettings = field(default_factory=TenantSettings)
    trust_file: Path | None = None
    packages: StoreCredentials | None = None


async def resolve(
    spec: Mapping[str, Any], namespace: str, kube: SecretReader, directory: Path, *,
    default_trust: Path | None = None,
) -> SourceSecrets:  # fmt: skip
    """Read the Secrets ``spec`` names from ``namespace``; write key files to ``directory``."""

    async def read(field: str) -> dict[str, str] | None:
        ref = spec.get(field)
        return await kube.get_secret(namespace, ref["name"]) if ref else None

    git_data, signers_data, tenant_data, package_data = (
        await read("secretRef"),
        await read("signersSecretRef"),
        await read("tenantSecretRef"),
        await read("packageStoreSecretRef"),
    )
    signers_file = None
    if signers_data is not None:
        if SIGNERS_KEY not in signers_data:
            name = spec["signersSecretRef"]["name"]
            raise ConfigurationError(f"Secret {namespace}/{name} has no key {SIGNERS_KEY}")
        signers_file = _write_private(directory / SIGNERS_KEY, signers_data[SIGNERS_KEY])
    trust_file = None
    if signers_data is not None and TRUST_ROOT_KEY in signers_data:
        trust_file = _write_private(directory / TRUST_ROOT_KEY, signers_data[TRUST_ROOT_KEY])
    elif default_trust is not None:
        trust_file = default_trust
    return SourceSecrets(
        trust_file=trust_file,
        git=None if git_data is None else _git_credentials(git_data, directory),
        signers_file=signers_file,
        tenants=TenantSettings()
        if tenant_data is None
        else TenantSettings.from_mapping(tenant_data),
        packages=None if package_data is None else _package_credentials(package_data, spec),
    )


def _package_credentials(data: Mapping[str, str], spec: Mapping[str, Any]) -> StoreCredentials:
    credentials = StoreCredentials.from_mapping(data)
    if not credentials.values:
        name = spec["packageStoreSecretRef"]["name"]
        raise ConfigurationError(
            f"Secret {name} has none of the package store keys ({', '.join(CREDENTIAL_KEYS)})"
        )
    return credentials


def _git_credentials(data: Mapping[str, str], directory: Path) -> GitCredentials:
    if "identity" in data:
        known_hosts = data.get("known_hosts")
        return GitCredentials(
            ssh_key_file=_write_private(directory / "identity", data["identity"]),
            known_hosts_file=(
                _write_private(directory / "known_hosts", known_hosts) if known_hosts else None
            ),
        )
    if "token" in data:
        return GitCredentials(
            username=data.get("username") or TOKEN_USERNAME, password=data["token"]
        )
    if "password" in data:
        return GitCredentials(username=data.get("username", ""), password=data["password"])
    raise ConfigurationError("Git credentials need password, token or identity")


def _write_private(path: Path, content: str) -> Path:
    """Create the file 0600 from the start (no window in which others may read it)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        # ssh refuses a private key without its final newline
        handle.write(content if content.endswith("\n") else content + "\n")
    return path
