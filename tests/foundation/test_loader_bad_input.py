"""Every kind of bad input becomes a finding with file, line and code — never a traceback.

Each case writes one file (or a few) over a small valid repo and names the finding it
must produce. Every case also checks that the rest of the repo still loads: one bad file
must not make the loader lose or skip anything else.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
import yaml.scanner

from reconciler.domain import yamlsource
from reconciler.domain.findings import Code
from reconciler.domain.loader import MAX_FILE_BYTES, load_repo
from tests.foundation._repo import example_text, make_repo

INTENT = """\
apiVersion: eucora.io/v1alpha1
kind: DeploymentIntent
metadata:
  name: demo-1.0
spec:
  app:
    name: Demo
    publisher: Contoso
    version: "1.0"
  requester: dana.lee@contoso.example
  blastRadius: NON_CRITICAL
  targetUsers: 10
  packages:
    macos:
      file: packages/demo.pkg
      bundleId: com.contoso.demo
  rollout:
    until: canary
"""


def intent(**replace: str) -> str:
    text = INTENT
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


BILLION_LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(8)
)


@dataclass(frozen=True)
class Case:
    id: str
    files: dict[str, str | bytes]
    file: str
    line: int | None
    code: str
    column: int | None = None
    path: str | None = None
    message: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


CASES = [
    Case(
        "invalid-yaml",
        {"intents/bad.yaml": "apiVersion: [unclosed\nkind: x\n"},
        "intents/bad.yaml",
        2,
        Code.YAML_SYNTAX,
    ),
    Case(
        "duplicate-key",
        {
            "intents/demo.yaml": intent(
                **{"  targetUsers: 10\n": "  targetUsers: 10\n  targetUsers: 20\n"}
            )
        },
        "intents/demo.yaml",
        13,
        Code.YAML_DUPLICATE_KEY,
        column=3,
        path="/spec/targetUsers",
    ),
    Case(
        "alias-bomb",
        {"intents/bomb.yaml": BILLION_LAUGHS},
        "intents/bomb.yaml",
        1,
        Code.YAML_TOO_COMPLEX,
    ),
    Case(
        "file-too-large",
        {"intents/huge.yaml": INTENT + "#" * MAX_FILE_BYTES + "\n"},
        "intents/huge.yaml",
        1,
        Code.FILE_TOO_LARGE,
    ),
    Case(
        "non-utf8",
        {"intents/latin1.yaml": intent(Contoso="Caf\u00e9").encode("latin-1")},
        "intents/latin1.yaml",
        8,
        Code.ENCODING,
        column=19,
    ),
    Case(
        "tab-indent",
        {"intents/tabs.yaml": intent(**{"  targetUsers": "\ttargetUsers"})},
        "intents/tabs.yaml",
        12,
        Code.YAML_TAB,
    ),
    Case(
        "unknown-kind",
        {"intents/demo.yaml": intent(DeploymentIntent="DeploymentIntnet")},
        "intents/demo.yaml",
        2,
        Code.UNKNOWN_KIND,
        column=7,
        path="/kind",
    ),
    Case(
        "unknown-api-version",
        {"intents/demo.yaml": intent(**{"eucora.io/v1alpha1": "eucora.io/v2"})},
        "intents/demo.yaml",
        1,
        Code.UNKNOWN_API_VERSION,
        column=13,
    ),
    Case(
        "unknown-field",
        {"intents/demo.yaml": intent(**{"  targetUsers": "  targetUser"})},
        "intents/demo.yaml",
        12,
        Code.UNKNOWN_FIELD,
        column=3,
        path="/spec/targetUser",
        message="did you mean 'targetUsers'",
    ),
    Case(
        "wrong-type-unquoted-version",
        {"intents/demo.yaml": intent(**{'version: "1.0"': "version: 1.0"})},
        "intents/demo.yaml",
        9,
        Code.WRONG_TYPE,
        column=14,
        path="/spec/app/version",
        message="quote it",
    ),
    Case(
        "wrong-enum",
        {"intents/demo.yaml": intent(NON_CRITICAL="HARMLESS")},
        "intents/demo.yaml",
        11,
        Code.INVALID_VALUE,
        column=16,
        path="/spec/blastRadius",
    ),
    Case(
        "missing-field",
        {"intents/demo.yaml": intent(**{"  requester: dana.lee@contoso.example\n": ""})},
        "intents/demo.yaml",
        5,
        Code.MISSING_FIELD,
        path="/spec",
        message="requester",
    ),
    Case("empty-file", {"intents/empty.yaml": ""}, "intents/empty.yaml", 1, Code.EMPTY_FILE),
    Case(
        "comments-only-file",
        {"intents/comments.yaml": "# nothing here yet\n"},
        "intents/comments.yaml",
        1,
        Code.EMPTY_FILE,
    ),
    Case(
        "not-a-mapping",
        {"intents/list.yaml": "- a\n- b\n"},
        "intents/list.yaml",
        1,
        Code.NOT_A_MAPPING,
    ),
    Case(
        "path-escape-dotdot",
        {"intents/demo.yaml": intent(**{"packages/demo.pkg": "../../etc/demo.pkg"})},
        "intents/demo.yaml",
        15,
        Code.PATH_ESCAPE,
        column=13,
        path="/spec/packages/macos/file",
    ),
    Case(
        "path-escape-absolute",
        {"intents/demo.yaml": intent(**{"packages/demo.pkg": "/etc/demo.pkg"})},
        "intents/demo.yaml",
        15,
        Code.PATH_ESCAPE,
    ),
    Case(
        "python-tag",
        {"intents/demo.yaml": intent(**{"Demo\n": "!!python/object/apply:os.system [id]\n"})},
        "intents/demo.yaml",
        7,
        Code.YAML_UNSUPPORTED,
    ),
    Case(
        "merge-key",
        {"intents/demo.yaml": intent(**{"  app:\n": "  app:\n    <<: {x: 1}\n"})},
        "intents/demo.yaml",
        7,
        Code.YAML_UNSUPPORTED,
    ),
    Case(
        "invalid-calendar-date",
        {
            "intents/demo.yaml": intent(
                **{
                    "  rollout:": (
                        "  evidence:\n"
                        "    scan: {scanner: grype, date: 2026-02-30, critical: 0, high: 0}\n"
                        "  rollout:"
                    )
                }
            )
        },
        "intents/demo.yaml",
        18,
        Code.INVALID_FORMAT,
        path="/spec/evidence/scan/date",
    ),
    # across documents
    Case(
        "duplicate-name",
        {"intents/zz-copy.yaml": example_text("intents/7zip-24.08.yaml")},
        "intents/zz-copy.yaml",
        5,
        Code.DUPLICATE_NAME,
        column=9,
        path="/metadata/name",
    ),
    Case(
        "unknown-ring",
        {"intents/demo.yaml": intent(**{"until: canary": "until: moon"})},
        "intents/demo.yaml",
        18,
        Code.UNKNOWN_RING,
        column=12,
        path="/spec/rollout/until",
    ),
    Case(
        "unknown-supersedes",
        {"intents/demo.yaml": INTENT + "    supersedes: demo-0.9\n"},
        "intents/demo.yaml",
        19,
        Code.UNKNOWN_INTENT,
        path="/spec/rollout/supersedes",
    ),
    Case(
        "self-supersedes",
        {"intents/demo.yaml": INTENT + "    supersedes: demo-1.0\n"},
        "intents/demo.yaml",
        19,
        Code.SELF_REFERENCE,
    ),
    Case(
        "incident-unknown-intent",
        {
            "incidents/inc-1.yaml": example_text("incidents/inc-2026-041.yaml")
            .replace("name: inc-2026-041", "name: inc-1")
            .replace("intent: 7zip-23.01", "intent: 7zip-99")
        },
        "incidents/inc-1.yaml",
        7,
        Code.UNKNOWN_INTENT,
        path="/spec/intent",
    ),
    Case(
        "missing-fleet-config",
        {"fleet.yaml": "# moved away\n"},
        "fleet.yaml",
        None,
        Code.MISSING_FLEET_CONFIG,
    ),
    Case(
        "second-fleet-config",
        {"zz-fleet.yaml": example_text("fleet.yaml").replace("name: contoso", "name: fabrikam")},
        "zz-fleet.yaml",
        3,
        Code.MULTIPLE_FLEET_CONFIGS,
    ),
    Case(
        "unknown-risk-model",
        {"fleet.yaml": example_text("fleet.yaml").replace("riskModel: v1.1", "riskModel: v9")},
        "fleet.yaml",
        7,
        Code.UNKNOWN_RISK_MODEL,
        path="/spec/riskModel",
    ),
    Case(
        "weights-do-not-sum",
        {
            "risk-models/v1.1.yaml": example_text("risk-models/v1.1.yaml").replace(
                "weight: 0.20", "weight: 0.25"
            )
        },
        "risk-models/v1.1.yaml",
        13,
        Code.WEIGHTS_SUM,
        path="/spec/factors",
    ),
    Case(
        "duplicate-ring",
        {"fleet.yaml": example_text("fleet.yaml").replace("- name: canary", "- name: lab")},
        "fleet.yaml",
        24,
        Code.DUPLICATE_RING,
    ),
    Case(
        "gate-loosened",
        {"intents/demo.yaml": INTENT + "    gates:\n      canary: {minSuccessRate: 0.5}\n"},
        "intents/demo.yaml",
        20,
        Code.GATE_LOOSENED,
        path="/spec/rollout/gates/canary/minSuccessRate",
    ),
    Case(
        "freeze-window-ends-before-start",
        {
            "fleet.yaml": example_text("fleet.yaml").replace(
                "end: 2027-01-04T06:00:00Z", "end: 2026-12-01T06:00:00Z"
            )
        },
        "fleet.yaml",
        71,
        Code.INVALID_WINDOW,
    ),
    Case(
        "connectivity-classes-overlap",
        {
            "fleet.yaml": example_text("fleet.yaml").replace(
                "intermittentWithinHours: 72", "intermittentWithinHours: 12"
            )
        },
        "fleet.yaml",
        15,
        Code.INVALID_CONNECTIVITY,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_becomes_a_finding(tmp_path: Path, case: Case) -> None:
    result = load_repo(make_repo(tmp_path, case.files))
    matching = [f for f in result.findings if f.file == case.file and f.code == case.code]
    assert matching, f"expected {case.code} in {case.file}, got {result.findings}"
    finding = matching[0]
    assert finding.line == case.line, finding
    if case.column is not None:
        assert finding.column == case.column, finding
    if case.path is not None:
        assert finding.path == case.path, finding
    if case.message is not None:
        assert case.message in finding.message, finding
    assert not result.ok
    # nothing else is lost: the untouched documents still load
    if "fleet.yaml" not in case.files:
        assert result.repo.fleet is not None
    if not any(f.startswith("intents/7zip-24.08") for f in case.files):
        assert "7zip-24.08" in result.repo.intents


def test_all_findings_reported_not_just_the_first(tmp_path: Path) -> None:
    files = {
        "intents/a.yaml": intent(**{"  targetUsers": "  targetUser"}),
        "intents/b.yaml": "a: [\n",
        "intents/c.yaml": intent(**{"demo-1.0": "demo-2.0", "until: canary": "until: moon"}),
    }
    result = load_repo(make_repo(tmp_path, files))
    assert {(f.file, f.code) for f in result.findings} == {
        ("intents/a.yaml", Code.UNKNOWN_FIELD),
        ("intents/a.yaml", Code.MISSING_FIELD),
        ("intents/b.yaml", Code.YAML_SYNTAX),
        ("intents/c.yaml", Code.UNKNOWN_RING),
    }
    assert list(result.findings) == sorted(
        result.findings, key=lambda f: (f.file, f.line or 0, f.column or 0, f.code, f.path)
    )


def test_multi_document_file_keeps_valid_documents(tmp_path: Path) -> None:
    second = intent(**{"demo-1.0": "demo-2.0", "NON_CRITICAL": "HARMLESS"})
    result = load_repo(make_repo(tmp_path, {"intents/multi.yaml": INTENT + "---\n" + second}))
    assert "demo-1.0" in result.repo.intents
    assert "demo-2.0" not in result.repo.intents
    (finding,) = result.findings
    assert (finding.code, finding.line) == (Code.INVALID_VALUE, 30)
    assert result.documents == 7


def test_broken_document_does_not_cascade_into_reference_findings(tmp_path: Path) -> None:
    broken = example_text("intents/7zip-23.01.yaml").replace("NON_CRITICAL", "HARMLESS")
    result = load_repo(make_repo(tmp_path, {"intents/7zip-23.01.yaml": broken}))
    # 7zip-24.08 supersedes the broken 7zip-23.01: only the real problem is reported
    assert [f.code for f in result.findings] == [Code.INVALID_VALUE]


@pytest.mark.skipif(os.name == "nt", reason="symlinks")
def test_symlinked_file_outside_the_repo(tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text(INTENT)
    repo = make_repo(tmp_path / "repo")
    (repo / "intents" / "link.yaml").symlink_to(outside)
    result = load_repo(repo)
    (finding,) = result.findings
    assert (finding.file, finding.line, finding.code) == (
        "intents/link.yaml",
        None,
        Code.SYMLINK_ESCAPE,
    )
    assert "demo-1.0" not in result.repo.intents


@pytest.mark.skipif(os.name == "nt", reason="symlinks")
def test_symlinked_directory_outside_the_repo(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "demo.yaml").write_text(INTENT)
    repo = make_repo(tmp_path / "repo")
    (repo / "more-intents").symlink_to(outside, target_is_directory=True)
    result = load_repo(repo)
    assert [(f.file, f.code) for f in result.findings] == [("more-intents", Code.SYMLINK_ESCAPE)]


def test_symlink_inside_the_repo_is_refused(tmp_path: Path) -> None:
    """A link's target can be rewritten while the link (what a review sees) stays the
    same, so a document must be a regular file at its own path."""
    repo = make_repo(tmp_path, {"staging/demo.yaml": INTENT})
    (repo / "intents" / "demo.yaml").symlink_to(repo / "staging" / "demo.yaml")
    result = load_repo(repo)
    assert [(f.file, f.code) for f in result.findings] == [
        ("intents/demo.yaml", Code.SYMLINK_REFUSED)
    ]
    assert not result.ok


def test_hidden_and_policy_directories_are_not_documents(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path,
        {
            ".github/workflows/ci.yaml": "on: push\n",
            "policies/promotion/tests/cases.yaml": "- name: x\n",
            "README.md": "not yaml\n",
        },
    )
    result = load_repo(repo)
    assert result.ok and result.documents == 5


def test_not_a_directory_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(NotADirectoryError):
        load_repo(tmp_path / "missing")


def test_deep_nesting_is_refused_before_the_c_parser_sees_it(tmp_path: Path) -> None:
    # 100,000 nested brackets overflow libyaml's recursive composer (a segfault, not a
    # Python error), though the file is far under the size cap
    deep = "a: " + "[" * 100_000 + "]" * 100_000 + "\n"
    result = load_repo(make_repo(tmp_path, {"intents/deep.yaml": deep}))
    (finding,) = [f for f in result.findings if f.file == "intents/deep.yaml"]
    assert (finding.code, finding.line) == (Code.YAML_TOO_COMPLEX, 1)
    assert "7zip-24.08" in result.repo.intents


@pytest.mark.parametrize(
    ("levels", "why"),
    [
        (100, "the project's own depth check stops it"),
        (999, "as many indicators as the pre-scan budget allows: libyaml's composer sees it"),
        (5_000, "libyaml's scanner may stop first (PyYAML >= 6.0.4 limits it to 1,000)"),
    ],
)
def test_deep_nesting_is_too_complex_on_its_line_whoever_stops_it(
    tmp_path: Path, levels: int, why: str
) -> None:
    deep = "# a comment\n\nvalues: " + "[" * levels + "]" * levels + "\n"
    result = load_repo(make_repo(tmp_path, {"intents/deep.yaml": deep}))
    (finding,) = [f for f in result.findings if f.file == "intents/deep.yaml"]
    assert (finding.code, finding.line) == (Code.YAML_TOO_COMPLEX, 3), why
    assert "7zip-24.08" in result.repo.intents


class _ScannerAtItsLimit:
    """A YAML loader whose scanner stops as libyaml's does at its nesting limit, whatever
    libyaml version is installed."""

    def __init__(self, text: str) -> None:
        self.text = text

    def _fail(self) -> bool:
        mark = yaml.Mark("<unicode string>", 0, 6, 12, None, None)
        raise yaml.scanner.ScannerError(
            "while increasing flow level", mark, "exceeded maximum nesting depth", mark
        )

    get_event = check_node = _fail

    def dispose(self) -> None:
        pass


@pytest.mark.parametrize("indicators", [10, 3_000], ids=["composer", "pre-scan"])
def test_libyamls_own_nesting_limit_is_too_complex_not_a_syntax_error(
    monkeypatch: pytest.MonkeyPatch, indicators: int
) -> None:
    monkeypatch.setattr(yamlsource, "_Loader", _ScannerAtItsLimit)
    parsed = yamlsource.parse_yaml("a: " + "[" * indicators, "intents/deep.yaml")
    (finding,) = parsed.findings
    assert (finding.code, finding.line) == (Code.YAML_TOO_COMPLEX, 7)


@pytest.mark.parametrize(
    "value", ["!!int abc", "!!bool maybe", "!!float x", ".nan", "-.inf", ".Inf"]
)
def test_bad_explicit_tags_and_non_finite_numbers_are_findings(tmp_path: Path, value: str) -> None:
    text = intent(**{"targetUsers: 10": f"targetUsers: {value}"})
    result = load_repo(make_repo(tmp_path, {"intents/demo.yaml": text}))
    codes = {f.code for f in result.findings if f.file == "intents/demo.yaml"}
    assert Code.YAML_UNSUPPORTED in codes
    assert all(f.line == 12 for f in result.findings if f.code == Code.YAML_UNSUPPORTED)


def test_keys_stay_as_written(tmp_path: Path) -> None:
    # YAML 1.1 would read `on:` as the boolean true; a field name is a name
    text = intent(**{"  targetUsers: 10\n": "  targetUsers: 10\n  on: yes\n"})
    result = load_repo(make_repo(tmp_path, {"intents/demo.yaml": text}))
    (finding,) = [f for f in result.findings if f.file == "intents/demo.yaml"]
    assert (finding.code, finding.path) == (Code.UNKNOWN_FIELD, "/spec/on")


def test_control_characters_are_located(tmp_path: Path) -> None:
    text = intent(**{"name: Demo": "name: De\x07mo"})
    result = load_repo(make_repo(tmp_path, {"intents/demo.yaml": text}))
    (finding,) = [f for f in result.findings if f.file == "intents/demo.yaml"]
    assert (finding.code, finding.line, finding.column) == (Code.YAML_SYNTAX, 7, 13)


def test_fleet_yaml_wins_over_another_fleet_config(tmp_path: Path) -> None:
    other = example_text("fleet.yaml").replace("name: contoso", "name: aaa")
    result = load_repo(make_repo(tmp_path, {"aa-fleet.yaml": other}))
    assert result.repo.fleet is not None and result.repo.fleet.name == "contoso"
    assert [(f.file, f.code) for f in result.findings] == [
        ("aa-fleet.yaml", Code.MULTIPLE_FLEET_CONFIGS)
    ]
