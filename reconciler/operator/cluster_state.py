"""Ring state as the operator holds it: DeploymentIntent statuses read through a kubeconfig.

``eucora plan --cluster`` starts its dry run from here, so a PR plan for an
operator-managed fleet shows each intent's real ring, entry time and applied assignments
instead of starting every intent at the first ring. Read-only: one list call with the
official kubernetes client (what ``kubectl`` reads: KUBECONFIG, contexts, exec plugins).
Each status becomes the engine's record exactly as the operator restores it
(:func:`~reconciler.operator._status.state_from_status`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kubernetes import client, config
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException
from urllib3.exceptions import HTTPError

from reconciler.domain.errors import AuthenticationError, ConfigurationError
from reconciler.engine import MemoryStateStore
from reconciler.operator._materialize import GROUP, SOURCE_LABEL, VERSION
from reconciler.operator._status import state_from_status

PLURAL = "deploymentintents"


def _api(kubeconfig: Path | None, context: str | None) -> Any:
    if kubeconfig is not None and not kubeconfig.is_file():
        raise ConfigurationError(f"no cluster: kubeconfig {kubeconfig} does not exist")
    try:
        return config.new_client_from_config(  # type: ignore[no-untyped-call]
            config_file=str(kubeconfig) if kubeconfig else None, context=context
        )
    except (ConfigException, OSError, TypeError, ValueError) as exc:
        where = f"kubeconfig {kubeconfig}" if kubeconfig else "KUBECONFIG / ~/.kube/config"
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigurationError(f"no cluster: {where} is not usable ({detail})") from exc


def list_intents(
    *, kubeconfig: Path | None, context: str | None, namespace: str, source: str | None
) -> list[dict[str, Any]]:
    """The DeploymentIntent objects in ``namespace`` (of one GitSource when ``source``)."""
    api = _api(kubeconfig, context)
    host = api.configuration.host
    listing: Any = {}
    try:
        listing = client.CustomObjectsApi(api).list_namespaced_custom_object(
            GROUP,
            VERSION,
            namespace,
            PLURAL,
            label_selector=f"{SOURCE_LABEL}={source}" if source else None,
            _request_timeout=30,
        )
    except ApiException as exc:
        if exc.status in {401, 403}:
            raise AuthenticationError(
                f"the cluster at {host} refused to list {PLURAL} in {namespace} ({exc.status})",
                status=exc.status,
            ) from exc
        raise ConfigurationError(
            f"the cluster at {host} answered {exc.status} listing {PLURAL} in {namespace} "
            "(is the CRD installed?)"
        ) from exc
    except HTTPError as exc:
        raise ConfigurationError(f"no cluster: cannot reach {host} ({type(exc).__name__})") from exc
    finally:
        api.close()
    items: list[dict[str, Any]] = dict(listing).get("items", [])
    # the selector again, client side: an API server that ignores it must not widen the set
    return [
        item
        for item in items
        if source is None
        or ((item.get("metadata") or {}).get("labels") or {}).get(SOURCE_LABEL) == source
    ]


def read_cluster_state(
    *, kubeconfig: Path | None, context: str | None, namespace: str, source: str | None
) -> MemoryStateStore:
    """A store holding the engine's record of every intent the cluster's statuses carry."""
    store = MemoryStateStore()
    for item in list_intents(
        kubeconfig=kubeconfig, context=context, namespace=namespace, source=source
    ):
        name = (item.get("metadata") or {}).get("name")
        state = state_from_status(item.get("status") or {})
        if isinstance(name, str) and state is not None:
            store.restore(name, state)
    return store


__all__ = ["list_intents", "read_cluster_state"]
