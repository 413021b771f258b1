"""The Grafana dashboard and the PrometheusRule the chart and the monitoring overlay ship:
the dashboard read by Grafana's own generated models (grafana-foundation-sdk) without
losing a field, every PromQL expression parsed by a PromQL parser (promql-parser), every
metric it names exported by the code, and the alert rules checked as promtool would."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from typing import Any

import promql_parser
import pytest
import yaml
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import Dashboard
from jsonschema import Draft202012Validator
from prometheus_client import REGISTRY

import reconciler.notify
import reconciler.operator._metrics  # noqa: F401
from tests.conftest import ROOT

CHART = ROOT / "charts/eucora"
DASHBOARD = CHART / "files/grafana-dashboard.json"
RULES = CHART / "files/prometheus-rules.yaml"
OVERLAY = ROOT / "manifests/overlays/monitoring"
#: Grafana's interval variables, as Prometheus would see them once Grafana fills them in
GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$__interval": "1m", "$__range": "1h"}
#: the Prometheus rule file format (prometheus.io/docs: recording and alerting rules)
RULE_FILE = {
    "type": "object", "additionalProperties": False, "required": ["groups"],
    "properties": {"groups": {"type": "array", "minItems": 1, "items": {
        "type": "object", "additionalProperties": False, "required": ["name", "rules"],
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "interval": {"type": "string", "pattern": r"^\d+[smhdwy]$"},
            "rules": {"type": "array", "minItems": 1, "items": {
                "type": "object", "additionalProperties": False, "required": ["alert", "expr"],
                "properties": {
                    "alert": {"type": "string", "pattern": "^Eucora[A-Z][A-Za-z]+$"},
                    "expr": {"type": "string", "minLength": 1},
                    "for": {"type": "string", "pattern": r"^(\d+[smhdwy])+$"},
                    "labels": {"type": "object", "required": ["severity"], "properties": {
                        "severity": {"enum": ["critical", "warning", "info"]}},
                        "additionalProperties": {"type": "string"}},
                    "annotations": {"type": "object", "required": ["summary", "description"],
                                    "additionalProperties": {"type": "string"}},
                }}},
        }}}},
}  # fmt: skip


def exported_metrics() -> set[str]:
    """Series names the code's metrics produce (counters end in _total, histograms have
    _bucket, _sum and _count)."""
    names: set[str] = set()
    for collector in list(REGISTRY._collector_to_names):
        for family in collector.describe() if hasattr(collector, "describe") else ():
            if not family.name.startswith("eucora_"):
                continue
            kind = family.type
            if kind == "counter":
                names.add(family.name + "_total")
            elif kind == "histogram":
                names.update(family.name + s for s in ("_bucket", "_sum", "_count"))
            else:
                names.add(family.name)
    return names


def selectors(node: Any) -> list[Any]:
    """Every vector selector in a parsed PromQL expression."""
    kind = type(node).__name__
    if kind == "VectorSelector":
        return [node]
    if kind == "MatrixSelector":
        return [node.vector_selector]
    found = []
    for attribute in ("expr", "lhs", "rhs", "param"):
        child = getattr(node, attribute, None)
        if child is not None and not isinstance(child, (int, float, str)):
            found += selectors(child)
    for arg in getattr(node, "args", None) or ():
        found += selectors(arg)
    return found


def grouping(node: Any) -> set[str]:
    """Labels an expression's result keeps: its outermost aggregation's ``by`` labels."""
    kind = type(node).__name__
    if kind == "AggregateExpr":
        modifier = node.modifier
        return (
            set(modifier.labels) if modifier is not None and "By" in str(modifier.type) else set()
        )
    if kind == "BinaryExpr":
        return grouping(node.lhs) | grouping(node.rhs)
    if kind in {"ParenExpr", "UnaryExpr"}:
        return grouping(node.expr)
    if kind == "Call":
        return set().union(*(grouping(a) for a in node.args)) if node.args else set()
    return set()


def parse(expr: str) -> Any:
    for variable, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, value)
    return promql_parser.parse(expr)


def dashboard_targets(document: dict[str, Any]) -> list[tuple[str, str]]:
    return [(p["title"], t["expr"]) for p in document["panels"] for t in p.get("targets", [])]


def rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(RULES.read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


# ---------------------------------------------------------------- the dashboard
def lost(ours: Any, theirs: Any, path: str = "") -> list[str]:
    """Paths in ``ours`` that Grafana's model dropped or changed."""
    if isinstance(ours, dict):
        if not isinstance(theirs, dict):
            return [path]
        return [p for k, v in ours.items()
                for p in ([f"{path}/{k}"] if k not in theirs else lost(v, theirs[k], f"{path}/{k}"))]  # fmt: skip
    if isinstance(ours, list):
        if not isinstance(theirs, list) or len(ours) != len(theirs):
            return [path]
        return [p for i, (a, b) in enumerate(zip(ours, theirs, strict=True))
                for p in lost(a, b, f"{path}/{i}")]  # fmt: skip
    return [] if ours == theirs else [f"{path}: {ours!r} became {theirs!r}"]


def test_the_dashboard_is_read_by_grafanas_model_without_losing_a_field() -> None:
    ours = json.loads(DASHBOARD.read_text())
    theirs = json.loads(json.dumps(Dashboard.from_json(ours), cls=JSONEncoder))
    assert lost(ours, theirs) == []
    # and the check can fail: a misspelt field is dropped by the model
    broken = json.loads(DASHBOARD.read_text())
    broken["panels"][1]["fieldConfig"]["defaults"]["unitt"] = "s"
    again = json.loads(json.dumps(Dashboard.from_json(broken), cls=JSONEncoder))
    assert lost(broken, again) == ["/panels/1/fieldConfig/defaults/unitt"]


def test_the_dashboard_layout_and_datasource() -> None:
    document = json.loads(DASHBOARD.read_text())
    ids = [p["id"] for p in document["panels"]]
    assert len(ids) == len(set(ids))
    for panel in document["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] >= 0 and grid["x"] + grid["w"] <= 24, panel["title"]
        if panel["type"] != "row":
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
            assert panel["targets"], panel["title"]
    variables = {v["name"]: v for v in document["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    rows = [p["title"] for p in document["panels"] if p["type"] == "row"]
    assert rows == ["Passes", "Gates", "Drift", "Tenant APIs", "Writes", "Notifications"]


@pytest.mark.parametrize(("panel", "expr"), dashboard_targets(json.loads(DASHBOARD.read_text())))
def test_every_dashboard_query_parses_and_names_exported_metrics(panel: str, expr: str) -> None:
    names = {s.name for s in selectors(parse(expr))}
    assert names, panel
    assert names <= exported_metrics(), f"{panel}: unknown {names - exported_metrics()}"


def test_the_dashboard_covers_what_operators_look_at() -> None:
    exprs = " ".join(e for _, e in dashboard_targets(json.loads(DASHBOARD.read_text())))
    for metric in ("eucora_reconcile_duration_seconds_count", "eucora_gate_decisions_total",
                   "eucora_drift_detected_total", "eucora_drift_corrected_total",
                   "eucora_api_requests_total", "eucora_circuit_open",
                   "eucora_tenant_writes_total", "eucora_notifications_total"):  # fmt: skip
        assert metric in exprs
    assert "by (ring, result)" in exprs


# ---------------------------------------------------------------- the alerts
def test_the_rule_file_has_the_prometheus_shape_and_unique_alerts() -> None:
    document = yaml.safe_load(RULES.read_text())
    errors = [e.message for e in Draft202012Validator(RULE_FILE).iter_errors(document)]
    assert errors == []
    names = [r["alert"] for r in rules()]
    assert len(names) == len(set(names))
    assert not [r["alert"] for r in rules() if "{{" in r["expr"]]


@pytest.mark.parametrize("rule", rules(), ids=[r["alert"] for r in rules()])
def test_every_alert_parses_names_exported_metrics_and_templates_kept_labels(
    rule: dict[str, Any],
) -> None:
    tree = promql_parser.parse(rule["expr"])
    names = {s.name for s in selectors(tree)}
    assert names and names <= exported_metrics(), names - exported_metrics()
    used = set(re.findall(r"\$labels\.(\w+)", " ".join(rule["annotations"].values())))
    assert used <= grouping(tree), f"annotations use labels the expression drops: {used}"


def test_an_unknown_metric_or_bad_promql_would_be_caught() -> None:
    assert {s.name for s in selectors(promql_parser.parse("rate(eucora_nope_total[5m])"))} \
        - exported_metrics() == {"eucora_nope_total"}  # fmt: skip
    with pytest.raises(ValueError):
        promql_parser.parse("sum by (ring (eucora_gate_decisions_total)")


def test_the_alerts_operations_md_describes_are_the_rules() -> None:
    text = (ROOT / "docs/operations.md").read_text()
    for rule in rules():
        assert f"`{rule['alert']}`" in text, rule["alert"]


# ---------------------------------------------------------------- chart and overlay
def test_the_chart_templates_wrap_the_files() -> None:
    rule = (CHART / "templates/prometheusrule.yaml").read_text()
    assert 'Files.Get "files/prometheus-rules.yaml"' in rule and "PrometheusRule" in rule
    dashboard = (CHART / "templates/grafana-dashboard.yaml").read_text()
    assert 'Files.Get "files/grafana-dashboard.json"' in dashboard
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    assert values["metrics"]["prometheusRule"]["enabled"] is False
    assert values["grafana"]["dashboard"]["enabled"] is False
    assert values["dashboard"]["enabled"] is False  # the rollout dashboard is opt-in


def test_the_overlay_holds_the_same_rules_and_dashboard() -> None:
    assert (OVERLAY / "grafana-dashboard.json").read_bytes() == DASHBOARD.read_bytes()
    rule = yaml.safe_load((OVERLAY / "prometheusrule.yaml").read_text())
    assert rule["kind"] == "PrometheusRule"
    assert rule["spec"] == yaml.safe_load(RULES.read_text())


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_the_monitoring_overlay_renders() -> None:
    out = subprocess.run(["kubectl", "kustomize", str(OVERLAY)], check=True,
                         capture_output=True, text=True).stdout  # fmt: skip
    objects = {(o["kind"], o["metadata"]["name"]): o for o in yaml.safe_load_all(out) if o}
    config = objects["ConfigMap", "eucora-grafana-dashboard"]
    assert config["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert json.loads(config["data"]["eucora-reconciler.json"]) == json.loads(DASHBOARD.read_text())
    assert objects["PrometheusRule", "eucora-operator"]["metadata"]["namespace"] == "eucora-system"


def test_the_rule_and_overlay_files_lint() -> None:
    from yamllint import linter
    from yamllint.config import YamlLintConfig

    config = YamlLintConfig("extends: relaxed\nrules: {line-length: {max: 120}}")
    for path in (RULES, *sorted(OVERLAY.glob("*.yaml"))):
        problems = [p for p in linter.run(path.read_text(), config) if p.level == "error"]
        assert problems == [], f"{path}: {problems}"
