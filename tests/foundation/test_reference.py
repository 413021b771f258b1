"""The README's document reference is generated from the schemas and must not go stale."""

from __future__ import annotations

from reconciler.domain.reference import END, START, render_reference, splice
from tests.conftest import ROOT


def test_readme_reference_is_in_sync() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert splice(readme, render_reference()) == readme, (
        "README reference is stale: run `eucora docs reference --write`"
    )


def test_reference_lists_every_kind_and_nested_field() -> None:
    text = render_reference()
    for kind in ("FleetConfig", "RiskModel", "DeploymentIntent", "CABApproval", "CABException"):
        assert f"### {kind}" in text
    assert "`spec.packages.windows.detection.productCode`" in text
    assert "`spec.rings[].groups.intune`" in text


def test_splice_replaces_only_between_markers() -> None:
    doc = f"intro\n{START}\nold\n{END}\noutro\n"
    assert splice(doc, "new\n") == f"intro\n{START}\n\nnew\n\n{END}\noutro\n"
