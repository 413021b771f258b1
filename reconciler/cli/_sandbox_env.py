"""What a served sandbox needs from the shell: ``export`` lines and a tenant file.

``eucora sandbox serve`` prints the exports when it is up; ``eucora sandbox env URL`` asks a
running sandbox (its admin API, ``/_sandbox/info``), waiting for it to come up, so a script
can ``eval "$(eucora sandbox env URL)"`` right after starting it in the background. The
tenant file holds no secret (``--tenant FILE`` refuses one): secrets stay in the exports.
"""

from __future__ import annotations

import shlex
import time

import httpx

from reconciler.domain.errors import ConfigurationError, TransientTenantError

SECRET_VARIABLES = ("INTUNE_CLIENT_SECRET", "JAMF_CLIENT_SECRET")


def variables(info: dict[str, str]) -> dict[str, str]:
    """The ``INTUNE_*`` / ``JAMF_*`` settings the connectors read, for this sandbox."""
    return {
        "INTUNE_TENANT_ID": info["tenantId"],
        "INTUNE_CLIENT_ID": info["clientId"],
        "INTUNE_CLIENT_SECRET": info["clientSecret"],
        "INTUNE_GRAPH_URL": f"{info['graphUrl'].rstrip('/')}/v1.0",
        "INTUNE_AUTHORITY_URL": info["graphUrl"].rstrip("/"),
        "JAMF_URL": info["jamfUrl"].rstrip("/"),
        "JAMF_CLIENT_ID": info["jamfClientId"],
        "JAMF_CLIENT_SECRET": info["jamfClientSecret"],
    }


def export_lines(info: dict[str, str], *, secrets_only: bool = False) -> list[str]:
    chosen = variables(info)
    if secrets_only:
        chosen = {k: v for k, v in chosen.items() if k in SECRET_VARIABLES}
    return [f"export {key}={shlex.quote(value)}" for key, value in chosen.items()]


def tenant_file(info: dict[str, str]) -> str:
    """A tenant file for ``--tenant`` (keys: intune.tenantId, clientId, graphUrl,
    authorityUrl; jamf.url, clientId); the secrets come from the environment."""
    values = variables(info)
    return (
        "# Tenant file for the EUCORA sandbox; secrets come from INTUNE_CLIENT_SECRET and\n"
        "# JAMF_CLIENT_SECRET in the environment (eucora sandbox env URL --secrets-only)\n"
        "intune:\n"
        f"  tenantId: {values['INTUNE_TENANT_ID']}\n"
        f"  clientId: {values['INTUNE_CLIENT_ID']}\n"
        f"  graphUrl: {values['INTUNE_GRAPH_URL']}\n"
        f"  authorityUrl: {values['INTUNE_AUTHORITY_URL']}\n"
        "jamf:\n"
        f"  url: {values['JAMF_URL']}\n"
        f"  clientId: {values['JAMF_CLIENT_ID']}\n"
    )


def fetch_info(url: str, *, wait: float) -> dict[str, str]:
    """The running sandbox's connection info, retrying until it answers or ``wait`` ends."""
    if not url.startswith(("http://127.0.0.1", "http://localhost", "http://[::1]")):
        raise ConfigurationError(
            f"{url}: a sandbox is served on this machine (http://127.0.0.1:PORT)"
        )
    deadline = time.monotonic() + wait
    while True:
        try:
            response = httpx.get(f"{url.rstrip('/')}/_sandbox/info", timeout=5)
            response.raise_for_status()
            info: dict[str, str] = response.json()
            return info
        except httpx.HTTPError as exc:
            if time.monotonic() >= deadline:
                raise TransientTenantError(
                    f"no sandbox answers at {url} after {wait:.0f}s ({type(exc).__name__}); "
                    "start one with `eucora sandbox serve --port PORT`"
                ) from exc
            time.sleep(0.2)
