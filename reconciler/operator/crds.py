"""CustomResourceDefinitions generated from ``schemas/``: the one source of truth.

Sits beside the operator: the GitSource spec comes from ``git-source.schema.json``, the
DeploymentIntent spec from the fleet-repo document schema, both converted into Kubernetes
*structural* openAPIV3Schema (no ``$ref``, ``const``, ``if/then`` or ``additionalProperties:
false``; the API server prunes unknown fields instead). ``eucora operator crds --write``
writes ``manifests/crds/`` and the chart's copy; a test fails when they drift.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from reconciler.domain.schemas import bundled
from reconciler.operator._crd_status import DEPLOYMENT_INTENT_STATUS, GIT_SOURCE_STATUS

GROUP = "eucora.io"
VERSION = "v1alpha1"

#: JSON Schema keywords a structural schema accepts (anything else is dropped).
_KEPT = frozenset(
    {
        "description", "type", "properties", "required", "items", "enum", "default",
        "pattern", "format", "minimum", "maximum", "minLength", "maxLength", "minItems",
        "maxItems", "minProperties", "maxProperties", "nullable", "title",
    }
)  # fmt: skip


def structural(node: Any) -> Any:
    """Convert an inlined Draft 2020-12 schema node into a Kubernetes structural one."""
    if isinstance(node, list):
        return [structural(item) for item in node]
    if not isinstance(node, Mapping):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "const":
            out["enum"] = [value]
        elif key == "exclusiveMinimum":
            out["minimum"], out["exclusiveMinimum"] = value, True
        elif key == "exclusiveMaximum":
            out["maximum"], out["exclusiveMaximum"] = value, True
        elif key == "properties":
            out[key] = {name: structural(sub) for name, sub in value.items()}
        elif (key == "additionalProperties" and isinstance(value, Mapping)) or key in _KEPT:
            out[key] = structural(value)
    if "enum" in out and "type" not in out:
        sample = out["enum"][0]
        out["type"] = {str: "string", bool: "boolean", int: "integer"}.get(type(sample), "string")
    return out


def _crd(
    kind: str,
    plural: str,
    short: list[str],
    spec: dict[str, Any],
    status: dict[str, Any],
    columns: list[dict[str, Any]],
) -> dict[str, Any]:
    spec = structural(spec)
    spec.pop("title", None)
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{GROUP}"},
        "spec": {
            "group": GROUP,
            "names": {
                "kind": kind,
                "listKind": f"{kind}List",
                "plural": plural,
                "singular": kind.lower(),
                "shortNames": short,
                "categories": ["eucora"],
            },
            "scope": "Namespaced",
            "versions": [
                {
                    "name": VERSION,
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": columns,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "description": spec.get("description", kind),
                            "required": ["spec"],
                            "properties": {
                                "apiVersion": {"type": "string", "description": "API version."},
                                "kind": {"type": "string", "description": "Kind."},
                                "metadata": {"type": "object", "description": "Metadata."},
                                "spec": spec,
                                "status": status,
                            },
                        }
                    },
                }
            ],
        },
    }


def _col(name: str, path: str, kind: str = "string", **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": kind, "jsonPath": path, **extra}


def git_source_crd() -> dict[str, Any]:
    return _crd(
        "GitSource",
        "gitsources",
        ["gs"],
        bundled("git-source.schema.json"),
        GIT_SOURCE_STATUS,
        [
            _col("URL", ".spec.url"),
            _col("Revision", ".status.lastAppliedRevision"),
            _col("Ready", '.status.conditions[?(@.type=="Ready")].status'),
            _col("Suspended", ".spec.suspend", "boolean"),
            _col("Age", ".metadata.creationTimestamp", "date"),
        ],
    )


def deployment_intent_crd() -> dict[str, Any]:
    document = bundled("deployment-intent.schema.json")
    return _crd(
        "DeploymentIntent",
        "deploymentintents",
        ["di", "intent"],
        document["properties"]["spec"],
        DEPLOYMENT_INTENT_STATUS,
        [
            _col("App", ".spec.app.name"),
            _col("Version", ".spec.app.version"),
            _col("Ring", ".status.currentRing"),
            _col("Risk", ".status.risk.score", "number"),
            _col("Ready", '.status.conditions[?(@.type=="Ready")].status'),
            _col("Age", ".metadata.creationTimestamp", "date"),
            _col("State", ".status.state", priority=1),
            _col("Message", ".status.message", priority=1),
        ],
    )


def all_crds() -> dict[str, dict[str, Any]]:
    """File name → CRD object."""
    return {
        "gitsources.eucora.io.yaml": git_source_crd(),
        "deploymentintents.eucora.io.yaml": deployment_intent_crd(),
    }


def render(crd: Mapping[str, Any]) -> str:
    header = "# Generated by `eucora operator crds --write` from schemas/; do not edit.\n"
    return header + "---\n" + yaml.safe_dump(dict(crd), sort_keys=False, width=100)


#: Directories (relative to the project root) that hold a copy of the CRDs.
CRD_DIRS = ("manifests/crds", "charts/eucora/crds")


def write(root: Path) -> list[Path]:
    written = []
    for directory in CRD_DIRS:
        target = root / directory
        target.mkdir(parents=True, exist_ok=True)
        for name, crd in all_crds().items():
            path = target / name
            path.write_text(render(crd), encoding="utf-8")
            written.append(path)
    return written


def stale(root: Path) -> list[Path]:
    """Files under ``CRD_DIRS`` whose content differs from what the schemas generate."""
    out = []
    for directory in CRD_DIRS:
        for name, crd in all_crds().items():
            path = root / directory / name
            if not path.is_file() or path.read_text(encoding="utf-8") != render(crd):
                out.append(path)
    return out
