"""CRDs, kustomize manifests, the Helm chart and example custom resources."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator

from reconciler.operator import crds

ROOT = Path(__file__).resolve().parents[2]
KUBECTL = shutil.which("kubectl")
needs_kubectl = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")


def _walk(node: Any, path: str = "") -> list[str]:
    """Paths in a schema that break Kubernetes structural rules."""
    bad: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in {"$ref", "$defs", "const", "if", "then", "allOf", "propertyNames"}:
                bad.append(f"{path}/{key}")
            if key == "additionalProperties" and value is False:
                bad.append(f"{path}/{key}")
            bad += _walk(value, f"{path}/{key}")
        if "properties" in node and node.get("type") != "object":
            bad.append(f"{path}: properties without type object")
    elif isinstance(node, list):
        for i, item in enumerate(node):
            bad += _walk(item, f"{path}/{i}")
    return bad


def test_generated_crds_match_schemas() -> None:
    assert crds.stale(ROOT) == [], "run `eucora operator crds --write`"


@pytest.mark.parametrize("name", sorted(crds.all_crds()))
def test_crds_are_structural(name: str) -> None:
    schema = crds.all_crds()[name]["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    assert _walk(schema) == []


def test_structural_conversion_rules() -> None:
    converted = crds.structural(
        {
            "type": "object",
            "additionalProperties": False,
            "properties": {"k": {"const": "X"}, "n": {"type": "integer", "exclusiveMinimum": 0}},
            "allOf": [{"if": {}, "then": {}}],
        }
    )
    assert converted == {
        "type": "object",
        "properties": {
            "k": {"enum": ["X"], "type": "string"},
            "n": {"type": "integer", "minimum": 0, "exclusiveMinimum": True},
        },
    }


def test_deployment_intent_printer_columns_and_status() -> None:
    version = crds.deployment_intent_crd()["spec"]["versions"][0]
    columns = version["additionalPrinterColumns"]
    assert [c["name"] for c in columns if not c.get("priority")] == [
        "App", "Version", "Ring", "Risk", "Ready", "Age",
    ]  # fmt: skip
    assert [c["name"] for c in columns if c.get("priority") == 1] == ["State", "Message"]
    assert version["subresources"] == {"status": {}}
    status = version["schema"]["openAPIV3Schema"]["properties"]["status"]["properties"]
    assert {"conditions", "currentRing", "ringHistory", "risk", "approvals", "lastGate",
            "drift", "lastAppliedRevision", "ringEnteredAt", "reachedRings", "applied",
            "stateAsOf", "lastPass"} <= set(status)  # fmt: skip


def test_chart_crds_identical_to_manifests() -> None:
    for path in sorted((ROOT / "manifests/crds").glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        chart = ROOT / "charts/eucora/crds" / path.name
        assert chart.read_bytes() == path.read_bytes(), path.name


def _validator(plural: str) -> Draft7Validator:
    crd = yaml.safe_load((ROOT / f"manifests/crds/{plural}.eucora.io.yaml").read_text())
    return Draft7Validator(crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"])


@pytest.mark.parametrize(
    ("example", "plural"),
    [("gitsource.yaml", "gitsources"), ("deploymentintent.yaml", "deploymentintents")],
)
def test_examples_validate_against_crd(example: str, plural: str) -> None:
    document = yaml.safe_load((ROOT / "examples/k8s" / example).read_text())
    errors = [e.message for e in _validator(plural).iter_errors(document)]
    assert errors == []


def test_crd_schema_rejects_bad_intent() -> None:
    document = yaml.safe_load((ROOT / "examples/k8s/deploymentintent.yaml").read_text())
    document["spec"]["blastRadius"] = "HUGE"
    del document["spec"]["app"]["version"]
    messages = [e.message for e in _validator("deploymentintents").iter_errors(document)]
    assert any("HUGE" in m for m in messages)
    assert any("'version' is a required property" in m for m in messages)


def _render(directory: str) -> list[dict[str, Any]]:
    assert KUBECTL is not None
    out = subprocess.run(
        [KUBECTL, "kustomize", str(ROOT / directory)], check=True, capture_output=True, text=True
    ).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


@needs_kubectl
@pytest.mark.parametrize("directory", ["manifests", "manifests/overlays/opa-sidecar"])
def test_kustomize_renders_and_builtins_validate(directory: str, tmp_path: Path) -> None:
    objects = _render(directory)
    builtin = [o for o in objects if "." not in o["apiVersion"].split("/")[0]
               or o["apiVersion"].split("/")[0].endswith("k8s.io")]  # fmt: skip
    assert {o["kind"] for o in builtin} >= {
        "Namespace", "CustomResourceDefinition", "ServiceAccount", "ClusterRole",
        "ClusterRoleBinding", "Deployment", "Service",
    }  # fmt: skip
    files = []
    for i, obj in enumerate(builtin):
        path = tmp_path / f"{i}.yaml"
        path.write_text(yaml.safe_dump(obj))
        files.append(str(path))
    result = subprocess.run(
        [str(Path(__import__("sys").executable).parent / "kubernetes-validate"), "--strict", *files],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


@needs_kubectl
def test_deployment_is_hardened() -> None:
    deployment = next(o for o in _render("manifests") if o["kind"] == "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    for container in pod["containers"]:
        ctx = container["securityContext"]
        assert ctx["allowPrivilegeEscalation"] is False
        assert ctx["readOnlyRootFilesystem"] is True
        assert ctx["capabilities"]["drop"] == ["ALL"]
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"


def test_rbac_is_least_privilege() -> None:
    docs = list(yaml.safe_load_all((ROOT / "manifests/base/rbac.yaml").read_text()))
    roles = {d["metadata"]["name"]: d for d in docs if d["kind"] == "ClusterRole"}
    for role in roles.values():
        for rule in role["rules"]:
            assert "*" not in rule["verbs"] and "*" not in rule["resources"]
    operator_resources = {
        r for rule in roles["eucora-operator"]["rules"] for r in rule["resources"]
    }
    assert "secrets" not in operator_resources
    assert roles["eucora-operator-secrets"]["rules"] == [
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}
    ]


def test_chart_binds_secret_reading_per_watched_namespace() -> None:
    rbac = (ROOT / "charts/eucora/templates/rbac.yaml").read_text()
    per_namespace = rbac[
        rbac.index("{{- range .Values.watchNamespaces }}") : rbac.index("{{- else }}")
    ]
    assert "kind: RoleBinding" in per_namespace and "namespace: {{ . | quote }}" in per_namespace
    assert "name: {{ $.Release.Name }}-operator-secrets" in per_namespace
    assert "secrets" not in rbac[: rbac.index("-operator-secrets")]


@needs_kubectl
def test_deployment_serves_kopf_probes() -> None:
    deployment = next(o for o in _render("manifests") if o["kind"] == "Deployment")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    liveness = container["args"][container["args"].index("--liveness") + 1]
    assert liveness == "http://0.0.0.0:8080/healthz"
    port = next(p["containerPort"] for p in container["ports"] if p["name"] == "probes")
    assert port == 8080
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"] == {"path": "/healthz", "port": "probes"}
    env = {e["name"]: e for e in container["env"]}
    assert env["POD_ID"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"


def test_chart_yaml_lints() -> None:
    from yamllint import linter
    from yamllint.config import YamlLintConfig

    config = YamlLintConfig("extends: relaxed\nrules: {line-length: {max: 120}}")
    chart = ROOT / "charts/eucora"
    plain = [chart / "Chart.yaml", chart / "values.yaml", *sorted((chart / "crds").glob("*.yaml"))]
    for path in plain:
        problems = [p for p in linter.run(path.read_text(), config) if p.level == "error"]
        assert problems == [], f"{path}: {problems}"


def test_chart_values_match_their_schema() -> None:
    import json

    chart = ROOT / "charts/eucora"
    schema = json.loads((chart / "values.schema.json").read_text())
    values = yaml.safe_load((chart / "values.yaml").read_text())
    assert list(Draft7Validator(schema).iter_errors(values)) == []
    values["replicas"] = 0
    assert list(Draft7Validator(schema).iter_errors(values))


def test_chart_templates_reference_only_declared_values() -> None:
    """Go templates are not YAML; check every `.Values.x.y` path exists in values.yaml."""
    import re

    chart = ROOT / "charts/eucora"
    values = yaml.safe_load((chart / "values.yaml").read_text())
    for template in (chart / "templates").glob("*"):
        for ref in re.findall(r"\.Values\.([A-Za-z0-9_.]+)", template.read_text()):
            node: Any = values
            for part in ref.split("."):
                assert isinstance(node, dict) and part in node, f"{template.name}: .Values.{ref}"
                node = node[part]


@needs_kubectl
def test_the_opa_overlay_creates_the_policies_configmap_it_mounts() -> None:
    from reconciler.operator.policy_files import policy_files

    objects = _render("manifests/overlays/opa-sidecar")
    [config_map] = [o for o in objects if o["kind"] == "ConfigMap"]
    assert config_map["metadata"]["name"].startswith("eucora-policies-")
    assert config_map["data"] == policy_files(ROOT)
    assert {"promotion.cab.rego", "admission.admission.rego", "lib.lib.rego"} <= set(
        config_map["data"]
    )
    [deployment] = [o for o in objects if o["kind"] == "Deployment"]
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    assert volumes["policies"]["configMap"]["name"] == config_map["metadata"]["name"]


def test_the_chart_creates_the_policies_configmap_from_generated_copies() -> None:
    from reconciler.operator import policy_files

    assert policy_files.stale(ROOT) == []
    template = (ROOT / "charts/eucora/templates/policies-configmap.yaml").read_text()
    assert '(.Files.Glob "files/policies/*.rego").AsConfig' in template
    assert "name: {{ .Values.opaSidecar.policiesConfigMap }}" in template
    values = yaml.safe_load((ROOT / "charts/eucora/values.yaml").read_text())["opaSidecar"]
    assert values["policiesConfigMap"] == "eucora-policies" and values["createPoliciesConfigMap"]
    copies = {p.name for p in (ROOT / "charts/eucora/files/policies").glob("*.rego")}
    assert copies == set(policy_files.policy_files(ROOT))
