"""A GitSource's ``spec.notifications``: its Secrets read, one Notifier per source, rebuilt
when the settings or a Secret's value change.

Webhook URLs come from a Secret key (``secretRef.key``, default ``url``), the commit-status
token from ``tokenSecretRef`` (key default ``token``). ``urlEnv`` and ``tokenEnv`` are for
the standalone file and are refused here: the operator's environment is not the tenant's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.domain.errors import ConfigurationError
from reconciler.notify import NotificationConfig, Notifier, check, parse
from reconciler.operator._secrets import SecretReader


def _refs(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    refs = [item["secretRef"] for key in ("teams", "slack", "webhooks")
            for item in document.get(key) or () if "secretRef" in item]  # fmt: skip
    status = document.get("commitStatus") or {}
    if "tokenSecretRef" in status:
        refs.append(status["tokenSecretRef"])
    return refs


async def notification_config(
    spec: Mapping[str, Any], namespace: str, kube: SecretReader, where: str
) -> NotificationConfig | None:
    document = spec.get("notifications")
    if not document:
        return None
    check(document, f"{where}: spec.notifications")
    secrets = {}
    for ref in _refs(document):
        if ref["name"] not in secrets:
            secrets[ref["name"]] = await kube.get_secret(namespace, ref["name"])

    def resolve(ref: Mapping[str, Any], field: str) -> str:
        if "secretRef" not in ref:
            raise ConfigurationError(f"{field}: name a Secret with secretRef (tokenSecretRef)")
        secret = ref["secretRef"]
        key = secret.get("key") or ("token" if "token" in field else "url")
        value = secrets[secret["name"]].get(key, "")
        if not value:
            raise ConfigurationError(
                f"{field}: Secret {namespace}/{secret['name']} has no key {key}"
            )
        return value

    return parse(document, resolve, f"{where}: spec.notifications")


async def notifier_for(
    current: Notifier | None, config: NotificationConfig | None
) -> Notifier | None:
    """The source's notifier for ``config``: the current one if nothing changed."""
    if current is not None and config == current.config:
        return current
    if current is not None:
        await current.aclose(timeout=5)
    return None if config is None or config.empty else Notifier(config)
