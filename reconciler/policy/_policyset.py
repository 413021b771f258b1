"""A policy set: the built-in Rego modules plus a fleet repo's own, checked and described.

Repo modules may only declare packages under ``eucora.custom.`` — the built-in decisions
aggregate the ``deny`` and ``warn`` sets of ``eucora.custom.<decision>`` — so a repo can add
gates but never replace or silence a built-in one. The METADATA comments of every package
and rule are parsed here too, for the generated README, for test coverage and for what a
rule means beyond allow or deny: ``custom.waits: true`` marks a deny that only means "not
yet" (time or data lift it without anyone acting), which conditions, Events, notices and the
dashboard read through :func:`waiting_rules`.

The package check is made on what the Rego engine parsed, not on the text: the module is
compiled (alone, or with the built-ins when it uses their functions) and every document it
adds under ``data`` must lie under ``eucora.custom``; a module that does not compile, or
adds nothing, is refused.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import regopy
import yaml

from reconciler.domain.errors import InvalidPolicyError
from reconciler.domain.resources import data_dir

#: decisions a repo policy may add rules to (package ``eucora.custom.<decision>``)
EXTENSIBLE = ("promotion", "admission", "health")
#: every decision an engine answers; ``cab`` is built-in only, and the promotion includes it
DECISIONS = (*EXTENSIBLE, "cab")
CUSTOM_PREFIX = "eucora.custom."
_PACKAGE = re.compile(r"^package\s+([A-Za-z_][\w.]*)\s*$", re.MULTILINE)
_RULE_ID = re.compile(r'^(deny|warn)\s+contains\s+\{\s*"id":\s*"([a-z0-9-]+)"', re.MULTILINE)
#: a rule that adds violations a helper built (``deny contains v if some v in lib.…``)
_RULE_SET = re.compile(r"^(deny|warn)\s+contains\s+[a-z_]+\s+if\b")


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """One documented rule (or package) of the policy set."""

    package: str
    kind: str  # "package", "deny" or "warn"
    id: str
    title: str
    description: str
    file: str
    line: int
    #: ``custom.waits``: a deny that only means "not yet" (soak time, devices to report)
    waits: bool = False


@dataclass(frozen=True, slots=True)
class Module:
    path: str
    text: str
    package: str
    builtin: bool


@dataclass(frozen=True, slots=True)
class PolicySet:
    """Rego modules to compile together, with their documented rules."""

    modules: tuple[Module, ...]
    rules: tuple[RuleInfo, ...] = field(default=())

    @property
    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        for module in self.modules:
            digest.update(module.path.encode() + b"\0" + module.text.encode() + b"\0")
        return digest.hexdigest()[:16]

    def rule_ids(self, kind: str | None = None) -> set[str]:
        return {r.id for r in self.rules if r.kind != "package" and kind in (None, r.kind)}

    @property
    def waiting_ids(self) -> frozenset[str]:
        """Ids of the deny rules whose METADATA says ``custom.waits: true``."""
        return frozenset(r.id for r in self.rules if r.kind == "deny" and r.waits)


def builtin_dir() -> Path:
    return data_dir("policies")


@functools.cache
def waiting_rules() -> frozenset[str]:
    """Deny ids of the built-in policies that only wait (``custom.waits: true``)."""
    return load_policy_set().waiting_ids


@functools.cache
def cab_rules() -> frozenset[str]:
    """Deny ids only the ``eucora.cab`` decision has (quorum, roles): a hold on them waits
    for the CAB's approvals."""
    rules = [r for r in load_policy_set().rules if r.kind == "deny"]
    own = {r.id for r in rules if r.package == "eucora.cab"}
    return frozenset(own - {r.id for r in rules if r.package != "eucora.cab"})


def load_policy_set(extra_dirs: Sequence[Path] = (), *, builtin: Path | None = None) -> PolicySet:
    """Built-in policies plus every ``*.rego`` under ``extra_dirs`` (a repo's ``policies/``)."""
    modules = list(_modules(builtin or builtin_dir(), builtin=True))
    builtins = tuple(modules)
    for directory in extra_dirs:
        if not directory.is_dir():
            raise InvalidPolicyError(f"policy directory {str(directory)!r} does not exist")
        for module in _modules(directory, builtin=False):
            outside = _outside_custom(module, builtins)
            if outside is not None or not module.package.startswith(CUSTOM_PREFIX):
                package = module.package if outside is None else outside
                raise InvalidPolicyError(
                    f"{module.path}: package {package!r} is not allowed in a repo policy; "
                    f"use a package under {CUSTOM_PREFIX}<{'|'.join(EXTENSIBLE)}> — built-in "
                    "gates can only be waived by a CABException",
                    file=module.path,
                    line=_line_of(module.text, _PACKAGE),
                )
            modules.append(module)
    rules = tuple(info for module in modules for info in _metadata(module))
    return PolicySet(tuple(modules), rules)


def _data(modules: Sequence[tuple[str, str]]) -> Any:
    interpreter = regopy.Interpreter()
    for path, text in modules:
        interpreter.add_module(path, text)
    output = json.loads(str(interpreter.query("data")))
    return output["expressions"][0] if "expressions" in output else None


def _outside_custom(module: Module, builtins: Sequence[Module]) -> str | None:
    """The first package path the compiled module adds outside ``eucora.custom``, or
    ``"(does not compile)"`` / ``"(adds nothing)"``; ``None`` when it is confined."""
    candidate = (module.path, module.text)
    base: Any = {}
    try:
        added = _data([candidate])
    except (regopy.RegoError, ValueError, KeyError, RuntimeError):
        added = None
    if not isinstance(added, dict):
        try:
            base = _data([(m.path, m.text) for m in builtins])
            added = _data([*((m.path, m.text) for m in builtins), candidate])
        except (regopy.RegoError, ValueError, KeyError, RuntimeError):
            return "(does not compile)"
    if not isinstance(added, dict):
        return "(does not compile)"
    paths = _changed(base if isinstance(base, dict) else {}, added, ())
    if not paths:
        return "(adds nothing)"
    for path in paths:
        if path[:2] != ("eucora", "custom"):
            return ".".join(path)
    return None


def _changed(
    base: dict[str, Any], new: dict[str, Any], prefix: tuple[str, ...]
) -> list[tuple[str, ...]]:
    found = []
    for key, value in new.items():
        here = (*prefix, key)
        before = base.get(key)
        if isinstance(value, dict) and value:
            found += _changed(before if isinstance(before, dict) else {}, value, here)
        elif value != before:
            found.append(here)
    return found


def _modules(directory: Path, *, builtin: bool) -> list[Module]:
    found = []
    for path in sorted(directory.rglob("*.rego")):
        text = path.read_text(encoding="utf-8")
        match = _PACKAGE.search(text)
        if match is None:
            raise InvalidPolicyError(f"{path}: no package declaration", file=str(path))
        label = path.relative_to(directory).as_posix()
        found.append(Module(label if builtin else f"repo:{label}", text, match[1], builtin))
    return found


def _line_of(text: str, pattern: re.Pattern[str]) -> int | None:
    match = pattern.search(text)
    return text.count("\n", 0, match.start()) + 1 if match else None


def _metadata(module: Module) -> list[RuleInfo]:
    """METADATA blocks of a module and what each one annotates."""
    lines = module.text.splitlines()
    infos = []
    i = 0
    while i < len(lines):
        if lines[i].strip() != "# METADATA":
            i += 1
            continue
        start = i
        block = []
        i += 1
        while i < len(lines) and lines[i].startswith("#"):
            block.append(lines[i][2:] if lines[i].startswith("# ") else lines[i][1:])
            i += 1
        data: Any = yaml.safe_load("\n".join(block)) or {}
        target = lines[i] if i < len(lines) else ""
        rule, built = _RULE_ID.match(target), _RULE_SET.match(target)
        custom: Any = data.get("custom") or {}
        if target.startswith("package "):
            kind, rule_id = "package", module.package
        elif rule:
            kind, rule_id = rule[1], rule[2]
        elif built:
            kind, rule_id = built[1], str(custom.get("id", ""))
        else:
            kind, rule_id = "rule", str(custom.get("id", ""))
        custom_id = custom.get("id")
        if custom_id and kind in ("deny", "warn") and custom_id != rule_id:
            raise InvalidPolicyError(
                f"{module.path}:{start + 1}: METADATA id {custom_id!r} does not match "
                f"rule id {rule_id!r}",
                file=module.path,
                line=start + 1,
            )
        waits = custom.get("waits", False)
        if not isinstance(waits, bool) or (waits and kind != "deny"):
            raise InvalidPolicyError(
                f"{module.path}:{start + 1}: METADATA custom.waits must be true or false, "
                "and only a deny rule can wait",
                file=module.path,
                line=start + 1,
            )
        infos.append(
            RuleInfo(
                package=module.package,
                kind=kind,
                id=rule_id,
                title=str(data.get("title", "")),
                description=" ".join(str(data.get("description", "")).split()),
                file=module.path,
                line=start + 1,
                waits=waits,
            )
        )
    return infos
