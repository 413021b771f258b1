"""Loads a fleet repo directory into typed models and findings.

First step of every command and of each reconcile pass (``load+validate`` in the flow).
Walks the repo, parses every ``*.yaml``/``*.yml`` file (multi-document files allowed),
validates each document against its kind's schema, builds immutable models, then runs
the cross-document checks. It never stops at the first problem and never raises on bad
input: every problem is a :class:`~reconciler.domain.findings.Finding` with file, line,
column and JSON pointer. Hidden directories and the repo's ``policies/`` directory
(Rego and policy test cases, loaded by the policy layer) are not documents.
"""

from __future__ import annotations

import json
import math
import os
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import Any

from reconciler.domain.documents import schemas
from reconciler.domain.documents.digest import intent_digest
from reconciler.domain.documents.models import (
    CABApproval,
    CABException,
    DeploymentIntent,
    FleetConfig,
    FleetRepo,
    GovernanceApproval,
    Incident,
    RiskModel,
    Source,
)
from reconciler.domain.documents.package_source import is_remote
from reconciler.domain.documents.packages import package_problems, remote_package_problems
from reconciler.domain.documents.yamlsource import PathPart, YamlDocument, parse_yaml
from reconciler.domain.findings import Code, Finding, Severity, json_pointer, sort_findings

MAX_FILE_BYTES = 1 << 20
YAML_SUFFIXES = (".yaml", ".yml")
NOT_DOCUMENT_DIRS = frozenset({"policies"})
WEIGHT_TOLERANCE = 1e-6

_BUILDERS: Mapping[str, Callable[[Mapping[str, Any], Source], Any]] = {
    "FleetConfig": FleetConfig.from_document,
    "RiskModel": RiskModel.from_document,
    "DeploymentIntent": DeploymentIntent.from_document,
    "CABApproval": CABApproval.from_document,
    "CABException": CABException.from_document,
    "Incident": Incident.from_document,
    "GovernanceApproval": GovernanceApproval.from_document,
}

#: repo-relative file references inside intents, checked for escapes
_FILE_REFERENCES: tuple[tuple[str, ...], ...] = (
    ("spec", "packages", "windows", "file"),
    ("spec", "packages", "windows", "detection", "script"),
    ("spec", "packages", "macos", "file"),
    ("spec", "evidence", "sbom", "file"),
    ("spec", "evidence", "scan", "file"),
)
#: references whose content the intent digest covers (packages carry their own sha256)
_HASHED_REFERENCES = (_FILE_REFERENCES[1], _FILE_REFERENCES[3], _FILE_REFERENCES[4])
#: package files, which may also be remote (https, S3, Azure Blob) and pinned instead
_PACKAGE_REFERENCES = (_FILE_REFERENCES[0], _FILE_REFERENCES[2])


@dataclass(slots=True)
class _Entry:
    """A document that passed its schema, with what the cross checks need."""

    kind: str
    name: str
    source: Source
    data: Mapping[str, Any]
    model: Any


@dataclass(frozen=True, slots=True)
class LoadResult:
    """What the loader found: the valid documents as a repo, and every finding."""

    root: Path
    repo: FleetRepo
    findings: tuple[Finding, ...]
    documents: int
    files: int

    @property
    def ok(self) -> bool:
        return not any(f.severity == Severity.ERROR for f in self.findings)

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == Severity.ERROR)


def package_findings(loaded: LoadResult, packages: Path) -> tuple[Finding, ...]:
    """The package files the loaded intents name, checked in ``packages`` (a checkout's
    work tree, where CI fetched the installers) without loading the documents again;
    positioned in the documents at ``loaded.root``, which must still exist."""
    loader = _Loader(loaded.root, MAX_FILE_BYTES)
    for intent in sorted(loaded.repo.intents.values(), key=lambda i: i.source.file):
        entry = _Entry(
            "DeploymentIntent", intent.name, intent.source, {"spec": intent.spec}, intent
        )
        for problem in package_problems(packages, entry.data):
            loader._report(
                entry, problem.path, problem.code, problem.message, severity=problem.severity
            )
    return tuple(sort_findings(loader.findings))


def load_repo(
    root: Path | str, *, max_file_bytes: int = MAX_FILE_BYTES, check_packages: bool = False
) -> LoadResult:
    """Load and check the fleet repo at ``root``.

    ``check_packages`` also reads every package file an intent names (exists, sha256,
    size; :mod:`reconciler.domain.documents.packages`): what PR checks want, not every pass.

    Raises :class:`NotADirectoryError` when ``root`` is not a directory (a usage error);
    every problem inside the repo is a finding instead.
    """
    root = Path(root)
    if not root.is_dir():
        raise NotADirectoryError(f"fleet repo {str(root)!r} is not a directory")
    real_root = root.resolve()
    loader = _Loader(real_root, max_file_bytes)
    loader.check_packages = check_packages
    files = 0
    for path in _discover(real_root, loader.findings):
        files += 1
        loader.load_file(path)
    loader.cross_check()
    return LoadResult(
        root=real_root,
        repo=loader.repo(),
        findings=tuple(sort_findings(loader.findings)),
        documents=loader.documents,
        files=files,
    )


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def _discover(root: Path, findings: list[Finding]) -> Iterator[Path]:
    """YAML files under ``root`` in a stable order. Symbolic links are never followed:
    a document's content must be what the commit holds at its own path, so a symlinked
    file or directory is a finding (leaving the repo, or refused inside it)."""
    for directory, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(directory)
        kept = []
        for name in sorted(dirnames):
            sub = here / name
            if name.startswith(".") or (here == root and name in NOT_DOCUMENT_DIRS):
                continue
            if sub.is_symlink():
                findings.append(_symlink_finding(sub, root, "followed"))
                continue
            kept.append(name)
        dirnames[:] = kept
        for name in sorted(filenames):
            if name.startswith(".") or not name.endswith(YAML_SUFFIXES):
                continue
            path = here / name
            if path.is_symlink():
                findings.append(_symlink_finding(path, root, "read"))
                continue
            yield path


def _symlink_finding(path: Path, root: Path, verb: str) -> Finding:
    if _inside(path.resolve(), root):
        code, where = Code.SYMLINK_REFUSED, "symbolic links are refused in a fleet repo"
    else:
        code, where = Code.SYMLINK_ESCAPE, "symbolic link points outside the repository"
    return Finding(_relative(path, root), None, None, "", code, f"{where}; not {verb}")


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


class _Loader:
    def __init__(self, root: Path, max_file_bytes: int) -> None:
        self.root = root
        self.max_file_bytes = max_file_bytes
        self.findings: list[Finding] = []
        self.entries: list[_Entry] = []
        #: names of documents that exist but failed validation, per kind: they still
        #: satisfy references, so one broken file does not cascade into many findings
        self.broken: dict[str, set[str]] = defaultdict(set)
        self.documents = 0
        self._located: dict[str, list[YamlDocument]] = {}
        self.check_packages = False

    # --- per file ------------------------------------------------------------------

    def load_file(self, path: Path) -> None:
        rel = _relative(path, self.root)
        text = self._read(path, rel)
        if text is None:
            return
        parsed = parse_yaml(text, rel)
        self.findings.extend(parsed.findings)
        if not parsed.documents and not parsed.findings:
            self.findings.append(
                Finding(rel, 1, 1, "", Code.EMPTY_FILE, "file holds no YAML document")
            )
        for document in parsed.documents:
            self.documents += 1
            self._load_document(rel, document)
            document.release()

    def _read(self, path: Path, rel: str) -> str | None:
        try:
            size = path.stat().st_size
            if size > self.max_file_bytes:
                self.findings.append(
                    Finding(
                        rel,
                        1,
                        1,
                        "",
                        Code.FILE_TOO_LARGE,
                        f"file is {size} bytes; the limit is {self.max_file_bytes}",
                    )
                )
                return None
            raw = path.read_bytes()
        except OSError as exc:
            self.findings.append(
                Finding(rel, None, None, "", Code.FILE_UNREADABLE, f"cannot read: {exc.strerror}")
            )
            return None
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw.count(b"\n", 0, exc.start) + 1
            column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
            self.findings.append(
                Finding(
                    rel,
                    line,
                    column,
                    "",
                    Code.ENCODING,
                    f"not UTF-8: byte 0x{raw[exc.start]:02x} at offset {exc.start}",
                )
            )
            return None

    def _load_document(self, rel: str, document: YamlDocument) -> None:
        data = document.data

        def at(path: tuple[PathPart, ...], code: str, message: str, *, key: bool = False) -> None:
            line, column = document.locate(path, key=key)
            self.findings.append(Finding(rel, line, column, json_pointer(path), code, message))

        if not isinstance(data, dict):
            at((), Code.NOT_A_MAPPING, "a document must be a mapping with apiVersion and kind")
            return
        api_version = data.get("apiVersion")
        kind = data.get("kind")
        if not isinstance(kind, str):
            kind = repr(kind)
        if api_version != schemas.API_VERSION:
            what = "missing" if api_version is None else f"{api_version!r} is not"
            at(
                ("apiVersion",),
                Code.UNKNOWN_API_VERSION,
                f"apiVersion {what} {schemas.API_VERSION!r}",
            )
            return
        if kind not in schemas.SCHEMA_FILES:
            at(
                ("kind",),
                Code.UNKNOWN_KIND,
                f"kind {kind!r} is not one of {', '.join(schemas.KINDS)}",
            )
            return
        name = _name_of(data)
        before = len(self.findings)
        todos = dict(_todos(data))
        for path, value in sorted(todos.items(), key=lambda item: json_pointer(item[0])):
            at(path, Code.TODO_VALUE, f"a draft value left to fill in: {value}")
        legacy = _legacy_ring_groups(data) if kind == "FleetConfig" else {}
        for path, message in legacy.items():
            at(path, Code.LEGACY_RING_GROUPS, message, key=True)
        for problem in schemas.validate(kind, data):
            if problem.path in todos:
                continue
            if not any(problem.path[: len(where)] == where for where in legacy):
                at(problem.path, problem.code, problem.message, key=problem.key)
        if kind == "DeploymentIntent":
            for reference in _FILE_REFERENCES:
                value = _get(data, reference)
                if reference in todos:
                    continue
                if reference in _PACKAGE_REFERENCES and isinstance(value, str) and is_remote(value):
                    for code, field, message in remote_package_problems(_get(data, reference[:-1])):
                        at((*reference[:-1], field), code, message)
                    continue
                if isinstance(value, str) and not _safe_relative_path(value):
                    at(reference, Code.PATH_ESCAPE, _path_message(value))
        if len(self.findings) > before:
            if name:
                self.broken[kind].add(name)
            return
        source = Source(rel, document.index, document.line)
        try:
            model = _BUILDERS[kind](data, source)
        except (ValueError, KeyError, TypeError) as exc:  # schema gaps; never a traceback
            at(("spec",), Code.INVALID_VALUE, f"invalid document: {exc}")
            self.broken[kind].add(name)
            return
        if kind == "DeploymentIntent":
            model = self._bind_referenced_files(model, at)
        self.entries.append(_Entry(kind, name, source, data, model))

    def _bind_referenced_files(
        self, intent: DeploymentIntent, at: Callable[..., None]
    ) -> DeploymentIntent:
        """The intent's digest covers every repo file it runs or ships besides the
        packages (whose ``sha256`` is in the spec): detection scripts, the SBOM file."""
        files: dict[str, bytes | None] = {}
        for reference in _HASHED_REFERENCES:
            value = _get(intent.spec, reference[1:])
            if not isinstance(value, str):
                continue
            path = self.root / value
            if path.is_symlink():
                at(reference, Code.SYMLINK_REFUSED, f"file {value!r} is a symbolic link; refused")
                files[value] = None
                continue
            try:
                files[value] = path.read_bytes() if path.is_file() else None
            except OSError:
                files[value] = None
        if not files:
            return intent
        return replace(intent, digest=intent_digest(intent.spec, files), files=tuple(files))

    # --- across documents ----------------------------------------------------------

    def _locate(self, entry: _Entry, path: tuple[PathPart, ...], *, key: bool) -> tuple[int, int]:
        """Position of ``path`` in ``entry``'s document, re-parsing its file on demand."""
        documents = self._located.get(entry.source.file)
        if documents is None:
            text = (self.root / entry.source.file).read_text(encoding="utf-8-sig")
            documents = parse_yaml(text, entry.source.file).documents
            self._located[entry.source.file] = documents
        for document in documents:
            if document.index == entry.source.index:
                return document.locate(path, key=key)
        return entry.source.line, 1

    def _report(
        self,
        entry: _Entry,
        path: tuple[PathPart, ...],
        code: str,
        message: str,
        *,
        key: bool = False,
        severity: str = Severity.ERROR,
    ) -> None:
        line, column = self._locate(entry, path, key=key)
        self.findings.append(
            Finding(entry.source.file, line, column, json_pointer(path), code, message, severity)
        )

    def cross_check(self) -> None:
        by_kind: dict[str, dict[str, _Entry]] = defaultdict(dict)
        for entry in self.entries:
            seen = by_kind[entry.kind].get(entry.name)
            if seen is not None or entry.name in self.broken[entry.kind]:
                first = seen.source.file if seen else "a document with errors"
                self._report(
                    entry,
                    ("metadata", "name"),
                    Code.DUPLICATE_NAME,
                    f"{entry.kind} {entry.name!r} is already defined in {first}",
                )
                continue
            by_kind[entry.kind][entry.name] = entry
        self.by_kind = by_kind
        fleet = self._check_fleet(by_kind.get("FleetConfig", {}))
        for model in by_kind.get("RiskModel", {}).values():
            self._check_risk_model(model)
        if fleet is not None:
            self._check_active_risk_model(fleet)
        rings = set(fleet.model.ring_names) if fleet else None
        for entry in by_kind.get("DeploymentIntent", {}).values():
            self._check_intent(entry, rings, fleet)
        for entry in by_kind.get("CABApproval", {}).values():
            self._check_reference(entry, ("spec", "intent"), "DeploymentIntent")
            self._check_rings(entry, ("spec", "rings"), rings)
            exception = entry.model.exception
            if exception is not None:
                self._check_reference(entry, ("spec", "exception"), "CABException")
        for entry in by_kind.get("CABException", {}).values():
            self._check_reference(entry, ("spec", "intent"), "DeploymentIntent")
            self._check_rings(entry, ("spec", "rings"), rings)
            windows = {w.name for w in fleet.model.freeze_windows} if fleet else None
            for i, window in enumerate(entry.model.covers_freeze_windows):
                if windows is not None and window not in windows:
                    self._report(
                        entry,
                        ("spec", "covers", "freezeWindows", i),
                        Code.UNKNOWN_FREEZE_WINDOW,
                        f"freeze window {window!r} is not declared in FleetConfig",
                    )
        for entry in by_kind.get("Incident", {}).values():
            self._check_reference(entry, ("spec", "intent"), "DeploymentIntent")
            self._check_rings(entry, ("spec", "rings"), rings)

    def _check_fleet(self, fleets: dict[str, _Entry]) -> _Entry | None:
        if not fleets:
            if not self.broken["FleetConfig"]:
                self.findings.append(
                    Finding(
                        "fleet.yaml",
                        None,
                        None,
                        "",
                        Code.MISSING_FLEET_CONFIG,
                        "the repository has no FleetConfig document (conventionally fleet.yaml)",
                    )
                )
            return None
        # fleet.yaml is where people look first, so it wins over another FleetConfig
        entries = sorted(
            fleets.values(),
            key=lambda e: (e.source.file != "fleet.yaml", e.source.file, e.source.index),
        )
        for extra in entries[1:]:
            self._report(
                extra,
                ("kind",),
                Code.MULTIPLE_FLEET_CONFIGS,
                f"a repository has exactly one FleetConfig; {entries[0].source.file} "
                "already defines it",
            )
        fleet = entries[0]
        model: FleetConfig = fleet.model
        seen: set[str] = set()
        for i, ring in enumerate(model.rings):
            if ring.name in seen:
                self._report(
                    fleet,
                    ("spec", "rings", i, "name"),
                    Code.DUPLICATE_RING,
                    f"ring {ring.name!r} is listed twice; ring order must be strict",
                )
            seen.add(ring.name)
        if model.cab.first_ring not in seen:
            self._report(
                fleet,
                ("spec", "cab", "firstRing"),
                Code.UNKNOWN_RING,
                f"ring {model.cab.first_ring!r} is not one of the fleet's rings",
            )
        for i, window in enumerate(model.freeze_windows):
            if window.end <= window.start:
                self._report(
                    fleet,
                    ("spec", "freezeWindows", i, "end"),
                    Code.INVALID_WINDOW,
                    f"freeze window {window.name!r} ends before it starts",
                )
            self._check_rings(fleet, ("spec", "freezeWindows", i, "rings"), seen)
        connectivity = model.spec.get("connectivity") or {}
        online = connectivity.get("onlineWithinHours", 24)
        if connectivity.get("intermittentWithinHours", max(online, 72)) <= online:
            self._report(
                fleet,
                ("spec", "connectivity", "intermittentWithinHours"),
                Code.INVALID_CONNECTIVITY,
                "intermittentWithinHours must be above onlineWithinHours "
                f"({online}): the classes would overlap",
            )
        return fleet

    def _check_active_risk_model(self, fleet: _Entry) -> None:
        name = fleet.model.risk_model
        if name not in self.by_kind.get("RiskModel", {}) and name not in self.broken["RiskModel"]:
            self._report(
                fleet,
                ("spec", "riskModel"),
                Code.UNKNOWN_RISK_MODEL,
                f"active risk model {name!r} is not defined by any RiskModel document",
            )

    def _check_risk_model(self, entry: _Entry) -> None:
        model: RiskModel = entry.model
        total = math.fsum(f.weight for f in model.factors)
        if abs(total - 1.0) > WEIGHT_TOLERANCE:
            self._report(
                entry,
                ("spec", "factors"),
                Code.WEIGHTS_SUM,
                f"factor weights sum to {total:.6g}, not 1.0",
            )
        names: set[str] = set()
        for i, factor in enumerate(model.factors):
            if factor.name in names:
                self._report(
                    entry,
                    ("spec", "factors", i, "name"),
                    Code.DUPLICATE_FACTOR,
                    f"factor {factor.name!r} is defined twice",
                )
            names.add(factor.name)
        levels = [m.level for m in model.maturity_levels]
        if sorted(levels) != list(range(len(levels))):
            self._report(
                entry,
                ("spec", "maturityLevels"),
                Code.MATURITY_LEVELS,
                f"maturity levels must be 0..{len(levels) - 1} once each, got {sorted(levels)}",
            )

    def _check_intent(self, entry: _Entry, rings: set[str] | None, fleet: _Entry | None) -> None:
        intent: DeploymentIntent = entry.model
        self._check_rings(entry, ("spec", "rollout", "until"), rings)
        if self.check_packages:
            for problem in package_problems(self.root, entry.data):
                self._report(
                    entry, problem.path, problem.code, problem.message, severity=problem.severity
                )
        for ring_name, override in intent.rollout.gates.items():
            path: tuple[PathPart, ...] = ("spec", "rollout", "gates", ring_name)
            if rings is not None and ring_name not in rings:
                self._report(
                    entry,
                    path,
                    Code.UNKNOWN_RING,
                    f"ring {ring_name!r} is not one of the fleet's rings",
                    key=True,
                )
                continue
            ring = fleet.model.ring(ring_name) if fleet else None
            if ring is None:
                continue
            for attribute, field_name in (
                ("min_success_rate", "minSuccessRate"),
                ("min_devices", "minDevices"),
                ("soak_hours", "soakHours"),
                ("halt_below_success_rate", "haltBelowSuccessRate"),
            ):
                default = getattr(ring.gates, attribute)
                value = getattr(override, attribute)
                if default is not None and value is not None and value < default:
                    self._report(
                        entry,
                        (*path, field_name),
                        Code.GATE_LOOSENED,
                        f"{field_name} {value} is looser than the fleet default {default} "
                        f"for ring {ring_name!r}; intents may only tighten gates",
                    )
        supersedes = intent.rollout.supersedes
        if supersedes is not None:
            if supersedes == intent.name:
                self._report(
                    entry,
                    ("spec", "rollout", "supersedes"),
                    Code.SELF_REFERENCE,
                    "an intent cannot supersede itself",
                )
            else:
                self._check_reference(entry, ("spec", "rollout", "supersedes"), "DeploymentIntent")
        model = self.by_kind.get("RiskModel", {}).get(fleet.model.risk_model) if fleet else None
        if model is not None:
            for i, risk_override in enumerate(intent.risk_overrides):
                if model.model.factor(risk_override.factor) is None:
                    self._report(
                        entry,
                        ("spec", "riskOverrides", i, "factor"),
                        Code.UNKNOWN_FACTOR,
                        f"factor {risk_override.factor!r} is not in risk model {model.name!r}",
                    )

    def _check_reference(self, entry: _Entry, path: tuple[PathPart, ...], kind: str) -> None:
        target = _get(entry.data, path)
        if target in self.by_kind.get(kind, {}) or target in self.broken[kind]:
            return
        code = Code.UNKNOWN_EXCEPTION if kind == "CABException" else Code.UNKNOWN_INTENT
        self._report(entry, path, code, f"{kind} {target!r} does not exist in the repository")

    def _check_rings(
        self, entry: _Entry, path: tuple[PathPart, ...], rings: set[str] | None
    ) -> None:
        if rings is None:
            return
        value = _get(entry.data, path)
        names = [value] if isinstance(value, str) else list(value or ())
        for i, ring in enumerate(names):
            if ring not in rings:
                where = path if isinstance(value, str) else (*path, i)
                self._report(
                    entry,
                    where,
                    Code.UNKNOWN_RING,
                    f"ring {ring!r} is not one of the fleet's rings ({', '.join(sorted(rings))})",
                )

    # --- result --------------------------------------------------------------------

    def repo(self) -> FleetRepo:
        by_kind = getattr(self, "by_kind", {})

        def models(kind: str) -> Mapping[str, Any]:
            return MappingProxyType({n: e.model for n, e in by_kind.get(kind, {}).items()})

        fleets = sorted(
            by_kind.get("FleetConfig", {}).values(),
            key=lambda e: (e.source.file != "fleet.yaml", e.source.file, e.source.index),
        )
        return FleetRepo(
            fleet=fleets[0].model if fleets else None,
            risk_models=models("RiskModel"),
            intents=models("DeploymentIntent"),
            approvals=models("CABApproval"),
            exceptions=models("CABException"),
            incidents=models("Incident"),
            governance_approvals=models("GovernanceApproval"),
        )


def _todos(
    data: Any, path: tuple[PathPart, ...] = ()
) -> Iterator[tuple[tuple[PathPart, ...], str]]:
    """Where a document still holds a ``TODO: …`` value (``eucora import`` drafts)."""
    if isinstance(data, Mapping):
        for key, value in data.items():
            yield from _todos(value, (*path, str(key)))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _todos(value, (*path, index))
    elif isinstance(data, str) and data.startswith("TODO:"):
        yield path, data


def _name_of(data: Mapping[str, Any]) -> str:
    metadata = data.get("metadata")
    if isinstance(metadata, Mapping):
        name = metadata.get("name")
        if isinstance(name, str):
            return name
    return ""


def _get(data: Any, path: tuple[PathPart, ...]) -> Any:
    for part in path:
        if isinstance(data, Mapping):
            if part not in data:
                return None
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        else:
            return None
    return data


def _path_message(value: str) -> str:
    message = f"file reference {value!r} must be a relative path inside the repository"
    if "\\" in value:
        posix = value.replace("\\", "/")
        return (
            f"{message}; use forward slashes ({posix!r}): paths in the fleet repo are "
            "POSIX paths on every OS"
        )
    return message


def _safe_relative_path(value: str) -> bool:
    if not value or "\x00" in value or "\\" in value:
        return False
    if value.startswith("/") or (len(value) > 1 and value[1] == ":"):
        return False
    return ".." not in PurePosixPath(value).parts


__all__ = ["MAX_FILE_BYTES", "LoadResult", "load_repo"]


#: what a ring may hold (``schemas/fleet-config.schema.json``)
_RING_FIELDS = frozenset({"name", "description", "groups", "gates", "devicesExpected"})


def _legacy_ring_groups(data: Mapping[str, Any]) -> dict[tuple[PathPart, ...], str]:
    """Rings written in the form before ``groups``: ``<key>: {<something>Ids: [...]}`` per
    provider. Each gets one finding saying what to write instead (the schema's own
    unknown-field finding for it is dropped)."""
    spec = data.get("spec")
    rings = spec.get("rings") if isinstance(spec, Mapping) else None
    found: dict[tuple[PathPart, ...], str] = {}
    for index, ring in enumerate(rings if isinstance(rings, list) else ()):
        if not isinstance(ring, Mapping):
            continue
        for key, value in ring.items():
            if key in _RING_FIELDS or not isinstance(value, Mapping) or len(value) != 1:
                continue
            ((ids_key, ids),) = value.items()
            if not str(ids_key).endswith("Ids") or not isinstance(ids, list):
                continue
            listed = ", ".join(json.dumps(i) for i in ids)
            found[("spec", "rings", index, key)] = (
                f"ring {ring.get('name', index)!r}: '{key}: {{{ids_key}: [...]}}' is the form "
                f"before ring groups; write 'groups: {{{key}: [{listed}]}}' instead "
                "(CHANGELOG: migrating ring groups)"
            )
    return found
