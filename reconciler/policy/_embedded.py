"""EmbeddedEngine: evaluates the policy set in-process with regopy (Microsoft's rego-cpp).

The bundle is compiled once per policy set; each thread gets its own interpreter (regopy
interpreters are not thread-safe, a compiled bundle may be shared). Every failure —
compile error, query error, malformed or undefined result — is a deny (fail closed).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from typing import Any

import structlog
from regopy import Input, Interpreter

from reconciler.domain.models import thaw
from reconciler.domain.ports import PolicyDecision
from reconciler.policy._decision import fail_closed, parse_decision
from reconciler.policy._policyset import DECISIONS, PolicySet

log = structlog.get_logger(__name__)


def entrypoint(package: str) -> str:
    return f"eucora/{package}/decision"


class EmbeddedEngine:
    """The default PolicyEngine: no server, no network."""

    name = "embedded"

    def __init__(self, policies: PolicySet) -> None:
        self.policies = policies
        self._local = threading.local()
        self._compile_error: str | None = None
        self._bundle: Any = None
        try:
            compiler = Interpreter()
            for module in policies.modules:
                compiler.add_module(module.path, module.text)
            bundle = compiler.build(None, [entrypoint(p) for p in DECISIONS])
            if not bundle.ok():
                self._compile_error = _first_line(str(bundle.node))
            else:
                self._bundle = bundle
        except Exception as exc:  # regopy raises its own and runtime errors alike
            self._compile_error = f"{type(exc).__name__}: {exc}"
        if self._compile_error:
            log.error("policy.compile_failed", error=self._compile_error)

    @property
    def compile_error(self) -> str | None:
        return self._compile_error

    def decide(self, package: str, input_document: Mapping[str, Any]) -> PolicyDecision:
        if package not in DECISIONS:
            return fail_closed(f"unknown policy decision {package!r}")
        if self._bundle is None:
            return fail_closed(f"policies do not compile: {self._compile_error}")
        try:
            interpreter = self._interpreter()
            # Input builds the term directly; set_input_term would re-parse JSON text
            interpreter.set_input(Input(thaw(input_document)))
            output = interpreter.query_bundle_entrypoint(self._bundle, entrypoint(package))
            text = str(output)
            if not output.ok() or text.startswith("(error") or "<error>" in text:
                return fail_closed(f"policy evaluation failed: {_first_line(text)}")
            results = json.loads(text).get("expressions") if text != "undefined" else None
            value = results[0] if results else None
        except Exception as exc:
            return fail_closed(f"policy evaluation failed: {type(exc).__name__}: {exc}")
        return parse_decision(value, package, self.policies.waiting_ids)

    def _interpreter(self) -> Interpreter:
        interpreter: Interpreter | None = getattr(self._local, "interpreter", None)
        if interpreter is None:
            interpreter = Interpreter()
            self._local.interpreter = interpreter
        return interpreter

    def close(self) -> None:
        self._local = threading.local()


def _first_line(text: str) -> str:
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith(("(error", "~")):
            return stripped.removeprefix("(errormsg ").rstrip(")")[:300]
    return text[:300]
