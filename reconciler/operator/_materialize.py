"""GitSource → DeploymentIntent objects: what to create, update and delete.

Pure planning on plain dicts, so the handler stays a few lines: the desired objects come
from the fleet repo's intents at one revision, the existing ones from the cluster.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.domain.documents.digest import intent_digest

__all__ = ["intent_digest"]
from reconciler.domain.documents.models import FleetRepo

GROUP = "eucora.io"
VERSION = "v1alpha1"
SOURCE_LABEL = "eucora.io/source"
REVISION_ANNOTATION = "eucora.io/source-revision"
DIGEST_ANNOTATION = "eucora.io/spec-digest"
RECONCILE_ANNOTATION = "eucora.io/reconcile-requested-at"

_DURATION = re.compile(r"([0-9]+(?:\.[0-9]+)?)(s|m|h)")
_UNIT = {"s": 1, "m": 60, "h": 3600}


def parse_interval(text: str) -> float:
    """``1h30m`` → 5400.0 seconds (Go-style durations as Flux uses them)."""
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"not a duration: {text!r} (use e.g. 30s, 5m, 1h)")
    return sum(float(n) * _UNIT[u] for n, u in parts)


def ref_of(spec: Mapping[str, Any]) -> str:
    ref = spec.get("ref") or {}
    return str(ref.get("commit") or ref.get("tag") or ref.get("branch") or "main")


def owner_uid(meta: Mapping[str, Any]) -> str | None:
    """The uid of the GitSource that materialized an object (its controller owner)."""
    for ref in meta.get("ownerReferences") or ():
        if ref.get("kind") == "GitSource" and ref.get("controller"):
            return str(ref["uid"])
    return None


@dataclass
class Plan:
    create: list[dict[str, Any]] = field(default_factory=list)
    update: list[dict[str, Any]] = field(default_factory=list)
    delete: list[str] = field(default_factory=list)


def desired_objects(
    repo: FleetRepo,
    *,
    source: str,
    namespace: str,
    uid: str,
    revision: str,
    source_labels: Mapping[str, str] | None = None,
) -> dict[str, dict[str, Any]]:
    """One object per intent. It inherits its source's labels, so a shard's label
    selector matches a source and everything materialized from it."""
    out = {}
    for name, intent in repo.intents.items():
        out[name] = {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": "DeploymentIntent",
            "metadata": {
                "name": name,
                "namespace": namespace,
                "labels": {**(source_labels or {}), SOURCE_LABEL: source},
                "annotations": {
                    REVISION_ANNOTATION: revision,
                    DIGEST_ANNOTATION: intent_digest(intent.spec),
                },
                "ownerReferences": [
                    {
                        "apiVersion": f"{GROUP}/{VERSION}",
                        "kind": "GitSource",
                        "name": source,
                        "uid": uid,
                        "controller": True,
                        "blockOwnerDeletion": True,
                    }
                ],
            },
            "spec": _plain(intent.spec),
        }
    return out


def plan(desired: Mapping[str, dict[str, Any]], existing: Mapping[str, Mapping[str, Any]]) -> Plan:
    """Create what is new, update what changed (digest differs), delete what left Git."""
    result = Plan()
    for name, obj in desired.items():
        if name not in existing:
            result.create.append(obj)
            continue
        have = existing[name].get("metadata", {}).get("annotations", {}) or {}
        want = obj["metadata"]["annotations"]
        if have.get(DIGEST_ANNOTATION) != want[DIGEST_ANNOTATION] or (
            existing[name].get("spec") != obj["spec"]
        ):
            result.update.append(obj)
    result.delete = sorted(set(existing) - set(desired))
    return result


def _plain(value: Any) -> Any:
    """JSON-able copy: dates become ISO strings, mappings dicts."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
