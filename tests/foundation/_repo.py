"""Builds small fleet repos in tmp dirs for loader tests: a valid base plus one mutation."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import EXAMPLE_REPO

MINIMAL_FILES = (
    "fleet.yaml",
    "risk-models/v1.1.yaml",
    "intents/7zip-23.01.yaml",
    "intents/7zip-24.08.yaml",
    "incidents/inc-2026-041.yaml",
    # the package files those intents name (validate checks them)
    "packages/windows/7z2301-x64.intunewin",
    "packages/macos/7zip-23.01.pkg",
    "packages/windows/7z2408-x64.intunewin",
    "packages/macos/7zip-24.08.pkg",
)


def make_repo(root: Path, files: dict[str, str | bytes] | None = None) -> Path:
    """A valid repo (a few documents of the example) with ``files`` written over it."""
    for rel in MINIMAL_FILES:
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(EXAMPLE_REPO / rel, target)
    for rel, content in (files or {}).items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    return root


def example_text(rel: str) -> str:
    return (EXAMPLE_REPO / rel).read_text(encoding="utf-8")
