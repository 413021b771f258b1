"""OpaServerEngine: evaluates decisions on an OPA server through its REST API.

``POST {url}/v1/data/eucora/<decision>/decision`` with ``{"input": …}``; the policies are
either assumed loaded (a bundle the server pulls, the production default) or pushed with
``PUT /v1/policies/<id>`` when ``push=True``. Transport errors, timeouts, non-200 answers
and undefined results are all a deny (fail closed).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
import structlog

from reconciler.domain.ports import PolicyDecision
from reconciler.policy._decision import fail_closed, parse_decision
from reconciler.policy._policyset import DECISIONS, PolicySet, waiting_rules

log = structlog.get_logger(__name__)


class OpaServerEngine:
    name = "opa"

    def __init__(
        self,
        url: str,
        *,
        policies: PolicySet | None = None,
        push: bool = False,
        timeout: float = 5.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self._client = httpx.Client(base_url=self.url, timeout=timeout, transport=transport)
        self._push_error: str | None = None
        # a server that pulls its bundle runs the built-in policies' flags
        self._waiting = policies.waiting_ids if policies is not None else waiting_rules()
        if push:
            if policies is None:
                raise ValueError("push=True needs the policy set to push")
            self._push(policies)

    def _push(self, policies: PolicySet) -> None:
        for module in policies.modules:
            policy_id = "eucora/" + module.path.replace(":", "/")
            try:
                response = self._client.put(
                    f"/v1/policies/{policy_id}",
                    content=module.text.encode(),
                    headers={"Content-Type": "text/plain"},
                )
            except httpx.HTTPError as exc:
                self._push_error = f"pushing {module.path} to OPA failed: {exc!r}"
                break
            if response.status_code != 200:
                self._push_error = (
                    f"OPA rejected {module.path}: {response.status_code} {response.text[:300]}"
                )
                break
        if self._push_error:
            log.error("policy.push_failed", error=self._push_error)

    def decide(self, package: str, input_document: Mapping[str, Any]) -> PolicyDecision:
        if package not in DECISIONS:
            return fail_closed(f"unknown policy decision {package!r}")
        if self._push_error:
            return fail_closed(self._push_error)
        try:
            response = self._client.post(
                f"/v1/data/eucora/{package}/decision", json={"input": dict(input_document)}
            )
        except httpx.TimeoutException:
            return fail_closed(f"OPA at {self.url} timed out")
        except httpx.HTTPError as exc:
            return fail_closed(f"OPA at {self.url} unreachable: {type(exc).__name__}")
        if response.status_code != 200:
            return fail_closed(f"OPA answered {response.status_code}: {response.text[:300]}")
        try:
            body = response.json()
        except ValueError:
            return fail_closed("OPA answered with a body that is not JSON")
        result = body.get("result") if isinstance(body, dict) else None
        return parse_decision(result, package, self._waiting)

    def close(self) -> None:
        self._client.close()
