"""Reading provider settings from the environment or a Kubernetes Secret mapping.

Sits before the observe step, where connectors are built: every provider's settings
parser reads its keys through :func:`required` and :func:`url`, so a missing key or a URL
that is not http(s) is the same :class:`ConfigurationError` whatever the provider.
"""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.domain.errors import ConfigurationError


def required(env: Mapping[str, str], key: str) -> str:
    """The non-empty value of ``key``; a ConfigurationError naming the key otherwise."""
    value = env.get(key, "").strip()
    if not value:
        raise ConfigurationError(f"setting {key} is missing or empty")
    return value


def url(env: Mapping[str, str], key: str, default: str) -> str:
    """An http(s) URL from ``key`` (``default`` when unset), without a trailing slash."""
    value = env.get(key, "").strip() or default
    if not value.startswith(("https://", "http://")):
        raise ConfigurationError(f"setting {key} must be an http(s) URL, not {value!r}")
    return value.rstrip("/")
