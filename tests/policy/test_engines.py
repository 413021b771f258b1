"""Both engines decide identically, and both fail closed."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from reconciler.domain.errors import InvalidPolicyError
from reconciler.policy import POLICY_ERROR, EmbeddedEngine, OpaServerEngine, load_policy_set
from reconciler.policy._policyset import Module, PolicySet
from tests.policy._opa_server import fake_opa
from tests.policy.conftest import CASES

PROMOTION = next(c for c in CASES if c.name == "healthy canary intent may enter pilot").input


def test_opa_server_engine_agrees_with_embedded_on_every_case(engine: EmbeddedEngine) -> None:
    with fake_opa() as (opa, url):
        remote = OpaServerEngine(url, policies=load_policy_set(), push=True)
        for case in CASES:
            assert remote.decide(case.decision, case.input) == engine.decide(
                case.decision, case.input
            ), case.name
        remote.close()
    assert any(method == "PUT" for method, _ in opa.requests)


def _denied_with_policy_error(decision: Any) -> str:
    assert decision.allow is False
    (violation,) = decision.deny
    assert violation.id == POLICY_ERROR
    return str(violation.msg)


def test_broken_policy_fails_closed() -> None:
    broken = PolicySet(
        (Module("broken.rego", "package eucora.promotion\n\ndecision := {", "", True),)
    )
    engine = EmbeddedEngine(broken)
    assert engine.compile_error
    _denied_with_policy_error(engine.decide("promotion", PROMOTION))


def test_policy_runtime_error_fails_closed() -> None:
    text = (
        "package eucora.promotion\nimport rego.v1\n"
        'msg := sprintf("%d", [input.missing])\n'
        'decision := {"allow": true, "deny": [], "warn": [{"id": "x", "msg": msg}]}\n'
    )
    engine = EmbeddedEngine(PolicySet((Module("bad.rego", text, "eucora.promotion", True),)))
    _denied_with_policy_error(engine.decide("promotion", {"now": 1}))


def test_undefined_or_malformed_decision_fails_closed() -> None:
    text = 'package eucora.promotion\nimport rego.v1\ndecision := {"allow": "yes"} if input.x\n'
    engine = EmbeddedEngine(PolicySet((Module("odd.rego", text, "eucora.promotion", True),)))
    assert "undefined" in _denied_with_policy_error(engine.decide("promotion", {}))
    assert "boolean" in _denied_with_policy_error(engine.decide("promotion", {"x": True}))


def test_engine_exception_fails_closed(
    engine: EmbeddedEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("interpreter crashed")

    fresh = EmbeddedEngine(engine.policies)
    monkeypatch.setattr(fresh, "_interpreter", explode)
    assert "interpreter crashed" in _denied_with_policy_error(fresh.decide("promotion", PROMOTION))


def test_unknown_decision_fails_closed(engine: EmbeddedEngine) -> None:
    _denied_with_policy_error(engine.decide("deployment", {}))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def test_opa_unreachable_fails_closed() -> None:
    remote = OpaServerEngine(f"http://127.0.0.1:{_free_port()}", timeout=1)
    assert "unreachable" in _denied_with_policy_error(remote.decide("promotion", PROMOTION))


def test_slow_opa_fails_closed() -> None:
    with fake_opa() as (opa, url):
        remote = OpaServerEngine(url, policies=load_policy_set(), push=True, timeout=0.3)
        opa.delay = 1.0
        assert "timed out" in _denied_with_policy_error(remote.decide("promotion", PROMOTION))
        remote.close()


def test_opa_error_status_and_undefined_result_fail_closed() -> None:
    with fake_opa() as (opa, url):
        remote = OpaServerEngine(url)  # nothing pushed: every document is undefined
        assert "undefined" in _denied_with_policy_error(remote.decide("promotion", {}))
        opa.status = 500
        assert "500" in _denied_with_policy_error(remote.decide("promotion", {}))
        remote.close()


def test_opa_rejecting_a_pushed_policy_fails_closed() -> None:
    remote = OpaServerEngine(
        f"http://127.0.0.1:{_free_port()}", policies=load_policy_set(), push=True, timeout=1
    )
    _denied_with_policy_error(remote.decide("promotion", PROMOTION))


def test_repo_policy_adds_a_gate(tmp_path: Path) -> None:
    (tmp_path / "sbom.rego").write_text(
        "package eucora.custom.promotion\nimport rego.v1\n"
        'deny contains {"id": "org-no-friday", "msg": "no promotions on Fridays"} if {\n'
        '\tinput.intent.name == "7zip-24.08"\n}\n'
    )
    engine = EmbeddedEngine(load_policy_set([tmp_path]))
    decision = engine.decide("promotion", PROMOTION)
    assert [v.id for v in decision.deny] == ["org-no-friday"]


def test_repo_policy_cannot_silence_a_builtin_gate(tmp_path: Path) -> None:
    (tmp_path / "sneaky.rego").write_text(
        "package eucora.custom.promotion\nimport rego.v1\n"
        'decision := {"allow": true, "deny": [], "warn": []}\nallow := true\n'
    )
    engine = EmbeddedEngine(load_policy_set([tmp_path]))
    suspended = next(c for c in CASES if c.name == "a suspended intent never promotes")
    assert [v.id for v in engine.decide("promotion", suspended.input).deny] == ["suspended"]


def test_repo_policy_cannot_replace_a_builtin_package(tmp_path: Path) -> None:
    (tmp_path / "override.rego").write_text(
        "# overriding the built-in decision\npackage eucora.promotion\nimport rego.v1\n"
        'decision := {"allow": true, "deny": [], "warn": []}\n'
    )
    with pytest.raises(InvalidPolicyError) as error:
        load_policy_set([tmp_path])
    assert error.value.line == 2
    assert "eucora.promotion" in error.value.message


def test_repo_policy_redefining_the_custom_deny_set_fails_closed(tmp_path: Path) -> None:
    (tmp_path / "wipe.rego").write_text(
        "package eucora.custom.promotion\nimport rego.v1\ndeny := set()\n"
        'deny contains {"id": "x", "msg": "y"} if false\n'
    )
    # the module does not compile, so its package cannot be checked: refused at load
    with pytest.raises(InvalidPolicyError, match="does not compile"):
        load_policy_set([tmp_path])


def test_repo_policy_package_is_checked_from_the_parsed_module(tmp_path: Path) -> None:
    """A leading space makes a line regex miss the real package; a decoy ``package`` line
    inside a raw string must not pass for it either."""
    (tmp_path / "sneaky.rego").write_text(
        " package eucora.promotion\nimport rego.v1\nnote := `\npackage eucora.custom.promotion\n`\n"
        'deny contains {"id": "x", "msg": "y"} if input.never\n'
    )
    with pytest.raises(InvalidPolicyError, match=r"eucora\.promotion"):
        load_policy_set([tmp_path])
