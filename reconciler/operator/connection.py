"""Where the operator's own Kubernetes client connects: in a pod, or from a kubeconfig.

In a pod the service account (``KUBERNETES_SERVICE_HOST``, the mounted token and CA); on
a workstation or in CI the kubeconfig ``kubectl`` uses (``KUBECONFIG`` or
``~/.kube/config``, current context), read by the official kubernetes client (tokens,
client certificates, exec plugins). Neither is a :class:`ConfigurationError` whose message
is one line: "no cluster: …".
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from reconciler.domain.errors import AuthenticationError, ConfigurationError

SERVICE_ACCOUNT = Path("/var/run/secrets/kubernetes.io/serviceaccount")


@dataclass(frozen=True, slots=True)
class Connection:
    server: str
    token: str | None
    verify: bool | str | ssl.SSLContext
    where: str


def in_cluster(env: Mapping[str, str], account: Path = SERVICE_ACCOUNT) -> Connection | None:
    host, port = env.get("KUBERNETES_SERVICE_HOST"), env.get("KUBERNETES_SERVICE_PORT")
    if not host or not port:
        return None
    token = (account / "token").read_text() if (account / "token").exists() else None
    ca = str(account / "ca.crt") if (account / "ca.crt").exists() else True
    server = f"https://[{host}]:{port}" if ":" in host else f"https://{host}:{port}"
    return Connection(server, token, ca, "the pod's service account")


def from_kubeconfig(path: str | None = None, context: str | None = None) -> Connection:
    from kubernetes import client, config  # noqa: PLC0415  (only off-cluster)
    from kubernetes.config.config_exception import ConfigException  # noqa: PLC0415

    where = path or os.environ.get("KUBECONFIG") or "~/.kube/config"
    configuration = client.Configuration()
    try:
        config.load_kube_config(  # type: ignore[no-untyped-call]
            config_file=path, context=context, client_configuration=configuration
        )
    except (ConfigException, OSError, TypeError, ValueError) as exc:
        detail = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise ConfigurationError(
            "no cluster: not running in a pod (KUBERNETES_SERVICE_HOST is unset) and no "
            f"usable kubeconfig ({where}: {detail})"
        ) from exc
    refresh = getattr(configuration, "refresh_api_key_hook", None)
    if callable(refresh):  # exec plugins: fetch the token now
        refresh(configuration)
    keys = configuration.api_key or {}
    # the key's name differs across kubernetes client releases
    header = keys.get("BearerToken") or keys.get("authorization") or ""
    token = header.removeprefix("Bearer ").strip() or None
    verify: bool | str | ssl.SSLContext = bool(configuration.verify_ssl)
    if configuration.verify_ssl and (configuration.ssl_ca_cert or configuration.cert_file):
        context_ = ssl.create_default_context(cafile=configuration.ssl_ca_cert or None)
        if configuration.cert_file:
            context_.load_cert_chain(configuration.cert_file, configuration.key_file)
        verify = context_
    return Connection(str(configuration.host), token, verify, f"kubeconfig {where}")


def resolve_connection(env: Mapping[str, str], kubeconfig: str | None = None) -> Connection:
    """The pod's service account when in a pod (and no kubeconfig is named), else the
    kubeconfig; raises a one-line ConfigurationError when there is neither."""
    if kubeconfig is None:
        found = in_cluster(env)
        if found is not None:
            return found
    return from_kubeconfig(kubeconfig)


def check_reachable(connection: Connection, *, timeout: float = 5.0) -> str:
    """GET /version: the server's git version, or a one-line error saying why not."""
    headers = {"Authorization": f"Bearer {connection.token}"} if connection.token else {}
    try:
        response = httpx.get(
            f"{connection.server.rstrip('/')}/version",
            headers=headers,
            verify=connection.verify,
            timeout=timeout,
        )
    except httpx.HTTPError as exc:
        raise ConfigurationError(
            f"no cluster: cannot reach {connection.server} from {connection.where} "
            f"({type(exc).__name__}: {exc})"
        ) from exc
    if response.status_code in {401, 403}:
        raise AuthenticationError(
            f"the cluster at {connection.server} refused the credentials of {connection.where} "
            f"({response.status_code})",
            status=response.status_code,
        )
    if response.status_code >= 400:
        raise ConfigurationError(
            f"no cluster: {connection.server} answered {response.status_code} to GET /version"
        )
    return str(response.json().get("gitVersion", "")) if response.content else ""
