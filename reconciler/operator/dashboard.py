"""The dashboard's sources in Kubernetes: the operator's own passes, and the cluster's
DeploymentIntent statuses for ``eucora dashboard --cluster``.

:class:`PassesSource` is what the operator serves on ``EUCORA_DASHBOARD_PORT``: the newest
pass of each GitSource it runs, as the engine reported it, with the ring history it holds
and the source's audit log. :class:`ClusterSource` reads what any replica wrote into the
statuses (the GitSource's ``rings``, each intent's ring, gate, risk, approvals, drift and
ring health) through the kubeconfig's credentials; its trail is the intent's ring history
and its Kubernetes Events (the audit log stays with the operator).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import httpx
from aiohttp import web

from reconciler.dashboard import (
    Access,
    Fleet,
    Trail,
    audit_records,
    create_app,
    fleet_from_report,
    history_entry,
    serve,
)
from reconciler.domain.errors import ConfigurationError, SourceError
from reconciler.operator._config import DashboardConfig
from reconciler.operator._materialize import DIGEST_ANNOTATION, GROUP, SOURCE_LABEL, VERSION
from reconciler.operator._service import GitSourceService


class PassesSource:
    """The passes this replica ran (a standby shows none until it takes over)."""

    def __init__(self, sources: Mapping[str, GitSourceService]) -> None:
        self._sources = sources

    async def fleets(self) -> list[Fleet]:
        out = []
        for uid, service in sorted(self._sources.items()):
            passes = service.passes
            title = service.config.name if service.config is not None else uid
            latest = passes.latest
            if latest is None or latest.result is None:
                note = (
                    f"{latest.error.reason}: {latest.error.message}"
                    if latest and latest.error
                    else "no pass yet"
                )
                out.append(Fleet(uid, title, "", "", (), (), note=note))
                continue
            extra: dict[str, dict[str, Any]] = {}
            for report in latest.result.intents:
                state = passes.store.export(report.name)
                if state is not None:
                    entered = state.ring.entered_at
                    extra[report.name] = {
                        "reachedRings": list(state.ring.reached),
                        "ringEnteredAt": entered.isoformat() if entered else None,
                    }
            out.append(fleet_from_report(uid, title, latest.result.to_dict(), extra))
        return out

    async def trail(self, fleet: str, intent: str) -> Trail:
        service = self._sources.get(fleet)
        if service is None:
            return Trail()
        history = tuple(history_entry(e) for e in service.passes.store.history(intent))
        records = await asyncio.to_thread(audit_records, service.engine.audit_path, intent)
        return Trail(history, tuple(records))


async def start(sources: Mapping[str, GitSourceService], config: DashboardConfig) -> web.AppRunner:
    """Serve the dashboard of this replica's passes (``EUCORA_DASHBOARD_PORT``, on all
    interfaces unless ``EUCORA_DASHBOARD_HOST`` says otherwise: the pod's Service decides
    who reaches it). ``EUCORA_DASHBOARD_TOKEN`` requires a bearer token,
    ``EUCORA_DASHBOARD_USER_HEADER`` an authenticating proxy's user header."""
    access = Access(token=config.token, user_header=config.user_header)
    return await serve(create_app(PassesSource(sources), access=access), config.host, config.port)


def intent_from_status(obj: Mapping[str, Any]) -> dict[str, Any]:
    """A report document (as ``IntentReport.to_dict()``) from what a status holds."""
    meta, spec, status = obj.get("metadata") or {}, obj.get("spec") or {}, obj.get("status") or {}
    app, rollout = spec.get("app") or {}, spec.get("rollout") or {}
    gate = status.get("lastGate")
    return {
        "name": meta.get("name", ""),
        "app": app.get("name", ""),
        "version": app.get("version", ""),
        "digest": (meta.get("annotations") or {}).get(DIGEST_ANNOTATION, ""),
        "platforms": sorted((spec.get("packages") or {}).keys()),
        "until": rollout.get("until"),
        "ring": status.get("currentRing"),
        "state": status.get("state", "Unknown"),
        "reason": status.get("message", "no pass has reported on this intent yet"),
        "risk": {"score": 0.0, **(status.get("risk") or {})},
        "approvals": status.get("approvals") or {},
        "ringHealth": status.get("ringHealth") or [],
        "lastGate": gate,
        "drift": [
            {**d, "desired": d.get("expected"), "observed": d.get("actual")}
            for d in status.get("drift") or ()
        ],
        "errors": status.get("errors") or [],
        "reachedRings": status.get("reachedRings") or [],
        "ringEnteredAt": status.get("ringEnteredAt"),
        "ringHistory": status.get("ringHistory") or [],
    }


class ClusterSource:
    """DeploymentIntents and GitSources of every namespace the credentials can list."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._http = client

    @classmethod
    def from_kubeconfig(cls, context: str | None = None) -> ClusterSource:
        from kubernetes import client, config  # noqa: PLC0415 (only for --cluster)

        configuration = client.Configuration()
        try:
            config.load_kube_config(  # type: ignore[no-untyped-call]
                context=context, client_configuration=configuration
            )
        except (config.ConfigException, OSError) as exc:
            raise ConfigurationError(f"kubeconfig: {exc}") from exc
        headers = {}
        if auth := (configuration.api_key or {}).get("authorization"):
            headers["Authorization"] = auth
        verify: bool | str = configuration.ssl_ca_cert or configuration.verify_ssl
        cert: tuple[str, str] | None = None
        if configuration.cert_file and configuration.key_file:
            cert = (configuration.cert_file, configuration.key_file)
        http = httpx.AsyncClient(
            base_url=configuration.host, headers=headers, verify=verify, cert=cert, timeout=30
        )
        return cls(http)

    async def _items(self, path: str, **params: str) -> list[dict[str, Any]]:
        try:
            response = await self._http.get(path, params=params)
        except httpx.HTTPError as exc:
            raise SourceError(f"Kubernetes API {path}: {type(exc).__name__}") from exc
        if response.status_code >= 400:
            raise SourceError(f"Kubernetes API GET {path} answered {response.status_code}")
        items: list[dict[str, Any]] = response.json().get("items") or []
        return items

    async def fleets(self) -> list[Fleet]:
        sources = await self._items(f"/apis/{GROUP}/{VERSION}/gitsources")
        intents = await self._items(f"/apis/{GROUP}/{VERSION}/deploymentintents")
        grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for obj in intents:
            meta = obj.get("metadata") or {}
            source = (meta.get("labels") or {}).get(SOURCE_LABEL, "")
            grouped[f"{meta.get('namespace', 'default')}/{source}"].append(obj)
        out = []
        for source in sorted(
            sources, key=lambda s: (s["metadata"].get("namespace"), s["metadata"]["name"])
        ):
            meta, status = source["metadata"], source.get("status") or {}
            key = f"{meta.get('namespace', 'default')}/{meta['name']}"
            members = sorted(grouped.pop(key, []), key=lambda o: str(o["metadata"]["name"]))
            at = max(
                (str((o.get("status") or {}).get("lastPass", {}).get("at", "")) for o in members),
                default="",
            )
            out.append(
                Fleet(
                    key=key,
                    title=f"GitSource {key}",
                    revision=str(status.get("lastAppliedRevision") or ""),
                    at=at,
                    rings=tuple(status.get("rings") or _rings_seen(members)),
                    intents=tuple(intent_from_status(o) for o in members),
                )
            )
        return out

    async def trail(self, fleet: str, intent: str) -> Trail:
        namespace = fleet.split("/", 1)[0]
        path = f"/apis/{GROUP}/{VERSION}/namespaces/{namespace}/deploymentintents/{intent}"
        response = await self._http.get(path)
        if response.status_code >= 400:
            raise SourceError(f"Kubernetes API GET {path} answered {response.status_code}")
        status = response.json().get("status") or {}
        history = tuple(
            {"ring": e.get("ring"), "enteredAt": e.get("enteredAt"),
             "decision": {"decision": e.get("decision")}}
            for e in status.get("ringHistory") or ()
        )  # fmt: skip
        events = await self._items(
            f"/api/v1/namespaces/{namespace}/events",
            fieldSelector=f"involvedObject.kind=DeploymentIntent,involvedObject.name={intent}",
        )
        records = tuple(
            {"seq": i + 1, "time": e.get("lastTimestamp") or e.get("eventTime") or "",
             "event": e.get("reason", ""), "type": e.get("type", ""),
             "message": e.get("message", "")}
            for i, e in enumerate(sorted(events, key=lambda e: str(e.get("lastTimestamp") or "")))
        )  # fmt: skip
        note = "Kubernetes Events of this intent; the audit log is kept by the operator"
        return Trail(history, records, note)

    async def aclose(self) -> None:
        await self._http.aclose()


def _rings_seen(members: list[dict[str, Any]]) -> list[str]:
    """Ring order from the intents' ring health, for a source whose status lacks it."""
    seen: list[str] = []
    for obj in members:
        for item in (obj.get("status") or {}).get("ringHealth") or ():
            if item.get("ring") not in seen:
                seen.append(item["ring"])
    return seen
