"""Import: what a live tenant holds, turned into draft DeploymentIntent documents.

Sits before Git: ``eucora import`` asks each provider's connector for its ``inventory()``
(every app, package and policy, managed or not, with assignments) as neutral
:class:`TenantObject` s, and :func:`draft_intents` writes one draft intent per object
that names it for adoption (``spec.adopt``) and carries what the tenant says: name,
version, publisher, install/uninstall commands, detection, the rings its assignments
correspond to, the installer's file name and its sha256 when the tenant reports it.
What the tenant cannot say is written as a ``TODO: …`` value that ``validate`` flags
(the schema refuses it), and what cannot be mapped at all is listed with its reason.
Pure and deterministic: the same tenant gives byte-identical output.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import yaml

from reconciler.domain.tenant import Assignment, AssignmentIntent, Platform, TargetKind

TODO = "TODO"
_NAME_CHARS = re.compile(r"[^a-z0-9.]+")


@dataclass(frozen=True, slots=True)
class TenantObject:
    """One object a provider holds (an Intune app, a Jamf package and its policy)."""

    provider: str
    platform: Platform
    id: str
    name: str
    version: str = ""
    publisher: str = ""
    description: str = ""
    #: the intent named by its ownership marker, if EUCORA manages it already
    managed_by: str | None = None
    #: the provider's own fields, as the tenant reports them
    properties: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    assignments: tuple[Assignment, ...] = ()
    file_name: str = ""
    sha256: str | None = None
    size_bytes: int | None = None
    #: other objects that go with it, by role (e.g. ``{"policy": "12"}`` for Jamf)
    related: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: how it maps onto a draft intent's ``packages.<platform>`` (the provider's words)
    package_fields: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True, slots=True)
class Draft:
    """A draft intent file: its path under the output directory and its text."""

    path: str
    intent: str
    provider: str
    object_id: str
    text: str
    todos: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Unmapped:
    provider: str
    object_id: str
    name: str
    reason: str


@dataclass(frozen=True, slots=True)
class ImportResult:
    drafts: tuple[Draft, ...]
    unmapped: tuple[Unmapped, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "drafts": [
                {
                    "path": d.path,
                    "intent": d.intent,
                    "provider": d.provider,
                    "objectId": d.object_id,
                    "todos": list(d.todos),
                }
                for d in self.drafts
            ],
            "unmapped": [
                {
                    "provider": u.provider,
                    "objectId": u.object_id,
                    "name": u.name,
                    "reason": u.reason,
                }
                for u in self.unmapped
            ],
        }


def intent_name(name: str, version: str) -> str:
    """A DeploymentIntent name (DNS-label-like) for ``name`` at ``version``."""
    base = _NAME_CHARS.sub("-", f"{name} {version}".lower()).strip("-.")
    return re.sub(r"-{2,}", "-", base)[:63].strip("-.") or "app"


def rings_of(
    assignments: Sequence[Assignment], ring_of_group: Mapping[str, str], ring_order: Sequence[str]
) -> tuple[str | None, list[str]]:
    """The furthest ring the required group assignments reach, and what cannot be read as
    rings (other targets, groups that are no ring's)."""
    reached: set[str] = set()
    problems: list[str] = []
    for assignment in assignments:
        group = assignment.group_id or ""
        required = assignment.intent is AssignmentIntent.REQUIRED
        if assignment.target is TargetKind.GROUP and group in ring_of_group and required:
            reached.add(ring_of_group[group])
            continue
        problems.append(assignment.describe())
    ordered = [r for r in ring_order if r in reached]
    return (ordered[-1] if ordered else None), sorted(problems)


def draft_intents(
    objects: Iterable[TenantObject],
    *,
    ring_of_group: Mapping[str, Mapping[str, str]],
    ring_order: Sequence[str],
    requester: str,
    name_filter: str = "*",
) -> ImportResult:
    """One draft per unmanaged object matching ``name_filter`` (a glob on its name);
    ``ring_of_group`` maps each ring-group key's group ids to ring names."""
    drafts: list[Draft] = []
    unmapped: list[Unmapped] = []
    taken: dict[str, str] = {}
    for obj in sorted(objects, key=lambda o: (o.provider, o.name.lower(), o.id)):
        if not fnmatch.fnmatchcase(obj.name.lower(), name_filter.lower()):
            continue
        if obj.managed_by is not None:
            unmapped.append(
                Unmapped(obj.provider, obj.id, obj.name, f"managed by intent {obj.managed_by}")
            )
            continue
        if not obj.name.strip():
            unmapped.append(Unmapped(obj.provider, obj.id, obj.name, "the object has no name"))
            continue
        name = intent_name(obj.name, obj.version or obj.id)
        if name in taken:
            name = intent_name(f"{obj.name} {obj.provider} {obj.id}", obj.version)
        taken[name] = obj.id
        groups = ring_of_group.get(obj.provider, {})
        ring, problems = rings_of(obj.assignments, groups, ring_order)
        document, todos = _document(obj, name, ring, requester)
        for problem in problems:
            unmapped.append(
                Unmapped(
                    obj.provider, obj.id, obj.name,
                    f"assignment {problem} is no ring's required group: not carried over",
                )
            )  # fmt: skip
        text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
        drafts.append(Draft(f"intents/{name}.yaml", name, obj.provider, obj.id, text, tuple(todos)))
    return ImportResult(tuple(drafts), tuple(unmapped))


def _document(
    obj: TenantObject, name: str, ring: str | None, requester: str
) -> tuple[dict[str, Any], list[str]]:
    todos: list[str] = []

    def known(value: Any, path: str, hint: str) -> Any:
        if value in (None, ""):
            todos.append(path)
            return f"{TODO}: {hint}"
        return value

    package: dict[str, Any] = {
        "provider": obj.provider,
        "file": known(
            f"packages/{obj.platform.value}/{obj.file_name}" if obj.file_name else "",
            f"packages.{obj.platform.value}.file",
            "put the installer in the package store and name it here",
        ),
        "sha256": known(
            obj.sha256, f"packages.{obj.platform.value}.sha256", "sha256 of the installer"
        ),
        "sizeBytes": known(
            obj.size_bytes, f"packages.{obj.platform.value}.sizeBytes", "size of the installer"
        ),
    }
    for key, value in obj.package_fields.items():
        package[key] = known(value, f"packages.{obj.platform.value}.{key}", f"the app's {key}")
    adopt: Any = {obj.provider: obj.id}
    if obj.related:
        adopt = {obj.provider: {"package": obj.id} | dict(sorted(obj.related.items()))}
    spec: dict[str, Any] = {
        "app": {
            "name": obj.name,
            "publisher": known(obj.publisher, "app.publisher", "the publisher"),
            "version": known(obj.version, "app.version", "the version"),
            "description": obj.description or f"Imported from {obj.provider} ({obj.id})",
        },
        "requester": requester,
        "blastRadius": "NON_CRITICAL",
        "privileged": False,
        "targetUsers": 0,
        "adopt": adopt,
        "packages": {obj.platform.value: package},
        "rollout": {"until": ring} if ring else {"until": known("", "rollout.until", "a ring")},
    }
    document = {
        "apiVersion": "eucora.io/v1alpha1",
        "kind": "DeploymentIntent",
        "metadata": {"name": name},
        "spec": spec,
    }
    return document, todos
