"""Groups ``reconciler/domain/`` by flow step, and rewrites every reference to the old paths.

The domain was flat (``reconciler.domain.<module>``); it is now one subpackage per step of the
flow, in the order of an import-linter layers contract (``pyproject.toml``), each importing
only the groups below it:

    planning    the plan step and what is recorded after it
    gates       ring progress: admission, health, promotion
    evaluation  governance of an intent and of the governed documents (risk, CAB, trust), and
                the neutral part of rendering its apps
    inputs      what the Rego policies read: the policy input and the observed facts it carries
    documents   the fleet repo's documents: YAML, schemas, models, loader, digest, packages
    errors | ports        (domain root) the exception tree, the ports
    findings | tenant     (domain root) findings, the tenant as the engine sees it

Two modes::

    python tools/domain_moves.py                  # git mv the modules, then rewrite references
    python tools/domain_moves.py --rewrite-only   # rewrite references only (a tree that has
                                                  # the moves, e.g. after merging a branch that
                                                  # still imports the old paths)

Rewriting is idempotent: no group is named like a module, so a new path never matches an old
one. It covers dotted module names (``reconciler.domain.loader``, ``domain.loader``), file
paths (``reconciler/domain/loader.py``, ``domain/plan/``) and ``from reconciler.domain import
<module>`` in ``reconciler/``, ``tests/``, ``benchmarks/``, ``tools/``, ``docs/``, the top-level
Markdown files and ``pyproject.toml``.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = ROOT / "reconciler" / "domain"

#: group → modules (``plan`` is a package; the rest are modules).
GROUPS: dict[str, tuple[str, ...]] = {
    "documents": (
        "yamlsource",
        "schemas",
        "resources",
        "digest",
        "models",
        "package_source",
        "packages",
        "loader",
        "reference",
        "imported",
    ),
    "inputs": ("compliance", "rollback", "policy_input"),
    "evaluation": (
        "trust",
        "facts",
        "blast_radius",
        "risk",
        "cab",
        "approval_request",
        "governance",
        "loosening",
        "governed",
        "maturity",
        "render",
    ),
    "gates": ("progress",),
    "planning": ("plan", "conditions"),
}

#: Modules that stay at the domain root, shared by every group.
ROOT_MODULES = ("errors", "ports", "findings", "tenant")

#: old module name → group.
MOVES: dict[str, str] = {module: group for group, modules in GROUPS.items() for module in modules}

_NAMES = "|".join(sorted(MOVES, key=len, reverse=True))
#: ``reconciler.domain.loader``, ``domain.loader``, ``reconciler/domain/loader.py`` and the like
_DOTTED = re.compile(rf"(?<![\w])domain([./])({_NAMES})\b(?!-)")
#: ``from reconciler.domain import schemas`` (one module per line, as the code writes it)
_FROM = re.compile(rf"^(\s*from reconciler\.domain) import ({_NAMES})\b", re.MULTILINE)

SCOPES = ("reconciler", "tests", "benchmarks", "tools", "docs")
TOP_FILES = ("pyproject.toml", "README.md", "CONTRIBUTING.md", "CHANGELOG.md")
#: Files that spell old paths on purpose (the script's own test).
KEEP = ("tests/foundation/test_domain_layout.py",)
SUFFIXES = {".py", ".md", ".toml", ".rst", ".txt", ".yaml", ".yml", ".cfg", ".ini"}


def rewrite_text(text: str) -> str:
    """Every old domain path in ``text`` replaced by its new one."""
    text = _FROM.sub(lambda m: f"{m[1]}.{MOVES[m[2]]} import {m[2]}", text)
    return _DOTTED.sub(lambda m: f"domain{m[1]}{MOVES[m[2]]}{m[1]}{m[2]}", text)


def _files() -> list[Path]:
    found: list[Path] = []
    for scope in SCOPES:
        base = ROOT / scope
        if base.is_dir():
            found += [
                p
                for p in base.rglob("*")
                if p.is_file() and p.suffix in SUFFIXES and "__pycache__" not in p.parts
            ]
    found += [ROOT / name for name in TOP_FILES if (ROOT / name).is_file()]
    skip = {Path(__file__).resolve(), *(ROOT / name for name in KEEP)}
    return sorted(p for p in found if p.resolve() not in skip)


def rewrite_tree() -> list[Path]:
    """Rewrites references in place; returns the files changed."""
    changed = []
    for path in _files():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        new = rewrite_text(text)
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed.append(path)
    return changed


def move_files() -> None:
    """``git mv`` each module into its group, creating the groups' ``__init__.py``."""
    for group, modules in GROUPS.items():
        target = DOMAIN / group
        target.mkdir(exist_ok=True)
        init = target / "__init__.py"
        if not init.exists():
            init.write_text(f'"""The domain\'s {group} step."""\n', encoding="utf-8")
            subprocess.run(["git", "add", str(init)], cwd=ROOT, check=True)
        for module in modules:
            old = DOMAIN / module if (DOMAIN / module).is_dir() else DOMAIN / f"{module}.py"
            if not old.exists():
                continue  # already moved
            new = target / old.name
            subprocess.run(["git", "mv", str(old), str(new)], cwd=ROOT, check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rewrite-only", action="store_true", help="do not move files; only rewrite references"
    )
    args = parser.parse_args(argv)
    if not args.rewrite_only:
        move_files()
    for path in rewrite_tree():
        print(path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
