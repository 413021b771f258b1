"""Documentation that lists closed sets (finding codes) must list all of them."""

from __future__ import annotations

from reconciler.domain.findings import Code
from tests.conftest import ROOT


def test_every_finding_code_is_documented() -> None:
    text = (ROOT / "docs" / "findings.md").read_text(encoding="utf-8")
    missing = [code.value for code in Code if f"`{code.value}`" not in text]
    assert not missing
