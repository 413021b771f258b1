"""How `eucora demo` prints a narrated line: rich markup that always renders."""

from __future__ import annotations

import pytest
from rich.console import Console

from reconciler.cli.demo import _STYLE, narration_line


@pytest.mark.parametrize("kind", [*_STYLE, "providers", "a-kind-without-colour"])
def test_every_kind_renders_with_its_text_verbatim(kind: str) -> None:
    console = Console(record=True, width=200, color_system=None)
    console.print(narration_line(kind, "7zip-24.08: windows via intune [not markup]"))
    shown = console.export_text()
    assert shown.split() == [kind, "7zip-24.08:", "windows", "via", "intune", "[not", "markup]"]


def test_the_providers_line_has_a_colour() -> None:
    assert narration_line("providers", "x").startswith("[blue]")
