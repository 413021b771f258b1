"""Property: whatever is thrown at the loader, it answers with findings, never a traceback."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.domain.documents.loader import load_repo
from tests.foundation._repo import example_text, make_repo

EXAMPLES = [
    "fleet.yaml",
    "risk-models/v1.1.yaml",
    "intents/7zip-24.08.yaml",
    "intents/globalprotect-6.3.2.yaml",
    "approvals/sap-gui-8.00-pilot-broad-global-erin.okafor.yaml",
    "exceptions/oracle-jre-8u431-risk.yaml",
    "incidents/inc-2026-077.yaml",
]

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=12), children, max_size=4),
    ),
    max_leaves=20,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found.extend(_paths(child, (*prefix, key)))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            found.extend(_paths(child, (*prefix, i)))
    return found


def _check(files: dict[str, str | bytes]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        result = load_repo(make_repo(Path(tmp), files))
    for finding in result.findings:
        assert finding.file and finding.code and finding.message
        assert finding.line is None or finding.line >= 1


@SETTINGS
@given(
    example=st.sampled_from(EXAMPLES),
    pick=st.integers(min_value=0),
    action=st.sampled_from(["delete", "replace", "rename", "wrap"]),
    value=json_values,
)
def test_mutated_documents(example: str, pick: int, action: str, value: Any) -> None:
    document = yaml.safe_load(example_text(example))
    paths = [p for p in _paths(document) if p]
    path = paths[pick % len(paths)]
    parent = document
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if action == "delete":
        del parent[last]
    elif action == "replace":
        parent[last] = value
    elif action == "rename" and isinstance(parent, dict):
        parent[f"{last}x"] = parent.pop(last)
    else:
        parent[last] = [parent[last], value]
    _check({example: yaml.safe_dump(document, allow_unicode=True)})


@SETTINGS
@given(text=st.text(max_size=400))
def test_random_text(text: str) -> None:
    _check({"intents/random.yaml": text})


@SETTINGS
@given(data=st.binary(max_size=400))
def test_random_bytes(data: bytes) -> None:
    _check({"intents/random.yaml": data})


@SETTINGS
@given(value=json_values)
def test_random_structures_as_documents(value: Any) -> None:
    document = {"apiVersion": "eucora.io/v1alpha1", "kind": "DeploymentIntent", "spec": value}
    _check({"intents/random.yaml": yaml.safe_dump(document, allow_unicode=True)})


@SETTINGS
@given(
    example=st.sampled_from(EXAMPLES),
    cut=st.integers(min_value=0),
    junk=st.sampled_from(["", ":", "- ", "&a *a", "!!binary x", "{", "'", "\t", "\x00", "<<: *x"]),
)
def test_truncated_and_spliced_text(example: str, cut: int, junk: str) -> None:
    text = example_text(example)
    at = cut % (len(text) + 1)
    _check({example: text[:at] + junk + text[at:]})
