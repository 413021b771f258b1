"""Prometheus metrics of the operator, served on ``/metrics``."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, start_http_server

from reconciler.connectors import CircuitChanged, CircuitState, HttpEvent, RequestObserved
from reconciler.engine import IntentReport, PassResult

RECONCILE_SECONDS = Histogram(
    "eucora_reconcile_duration_seconds", "Duration of one reconcile pass.", ["kind"]
)
GATE_DECISIONS = Counter(
    "eucora_gate_decisions_total", "Promotion gate decisions.", ["ring", "result"]
)
DRIFT_DETECTED = Counter("eucora_drift_detected_total", "Drifted fields found.", ["platform"])
DRIFT_CORRECTED = Counter("eucora_drift_corrected_total", "Drifted fields corrected.", ["platform"])
API_REQUESTS = Counter(
    "eucora_api_requests_total",
    "Tenant API request attempts by HTTP status or transport error kind.",
    ["connector", "status"],
)
CIRCUIT_STATE = Gauge(
    "eucora_circuit_open",
    "1 while a connector's circuit breaker is open or half-open, 0 when closed.",
    ["connector"],
)
INTENTS = Gauge("eucora_intents", "Materialized intents by source.", ["namespace", "source"])
WRITES = Counter("eucora_tenant_writes_total", "Writes made to the tenants by passes.")
WRITE_ERRORS = Counter(
    "eucora_tenant_write_errors_total", "Tenant writes that failed in passes (retried next pass)."
)
PASS_FAILURES = Counter(
    "eucora_pass_failures_total", "Engine passes that did not finish, by error reason.", ["reason"]
)
INTENT_STATES = Gauge(
    "eucora_intent_states",
    "Intents of a source by state after its last pass (Blocked: halted by the health gate).",
    ["namespace", "source", "state"],
)
TIME_TO_COMPLIANCE = Gauge(
    "eucora_time_to_compliance_devices",
    "Targeted devices of an intent's current ring by connectivity class and outcome "
    "(compliant within the class's target, open window, missed).",
    ["intent", "ring", "connectivity", "outcome"],
)
TIME_TO_COMPLIANCE_RATIO = Gauge(
    "eucora_time_to_compliance_ratio",
    "Share of an intent's targeted devices in its current ring that reached the desired "
    "state within their connectivity class's target.",
    ["intent", "ring"],
)


def serve(port: int) -> None:
    start_http_server(port)


def record_http(event: HttpEvent) -> None:
    """The connectors' request observer (registered with ``observe_http`` at startup)."""
    if isinstance(event, RequestObserved):
        API_REQUESTS.labels(event.service, event.outcome).inc()
    elif isinstance(event, CircuitChanged):
        CIRCUIT_STATE.labels(event.service).set(0 if event.state is CircuitState.CLOSED else 1)


def record_pass(result: PassResult) -> None:
    """Figures of one engine pass: its duration, gate decisions, drift and writes."""
    RECONCILE_SECONDS.labels("pass").observe(result.seconds)
    WRITES.inc(result.writes)
    WRITE_ERRORS.inc(len(result.errors))
    for report in result.intents:
        for gate in report.gates:
            GATE_DECISIONS.labels(gate.ring or "-", "allow" if gate.result.allow else "deny").inc()
        _record_compliance(report)
        for drift in report.drift:
            DRIFT_DETECTED.labels(drift.platform.value).inc()
            if drift.corrected:
                DRIFT_CORRECTED.labels(drift.platform.value).inc()


def record_states(namespace: str, source: str, counts: dict[str, int]) -> None:
    """Intents by state after a source's pass; every state is set, 0 when none is in it."""
    for state, value in counts.items():
        INTENT_STATES.labels(namespace, source, state).set(value)


def record_failure(reason: str) -> None:
    PASS_FAILURES.labels(reason).inc()


def _record_compliance(report: IntentReport) -> None:
    compliance = report.compliance
    if compliance is None or compliance.ring is None or compliance.share is None:
        return
    ring = compliance.ring
    TIME_TO_COMPLIANCE_RATIO.labels(report.name, ring).set(compliance.share)
    for counts in compliance.classes:
        for outcome in ("compliant", "open", "missed"):
            TIME_TO_COMPLIANCE.labels(report.name, ring, counts.connectivity.value, outcome).set(
                getattr(counts, outcome)
            )
