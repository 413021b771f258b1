"""``eucora init DIR``: a new, empty fleet repo that validates from its first commit.

Writes a FleetConfig (five rings with placeholder Intune group ids and Jamf computer group
ids to replace, trust-maturity level 0: everything goes to the CAB), the example's risk
model, the document folders, a copy of the JSON Schemas that every file's
``yaml-language-server`` line points to, and a ``.gitignore`` that keeps ``.eucora/``
(state store, audit log) out of the repo. Nothing is overwritten.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from reconciler.cli._common import (
    EXIT_FINDINGS,
    OutputFormat,
    command,
    console,
    fail,
    handle_errors,
    print_json,
)
from reconciler.domain.loader import load_repo
from reconciler.domain.resources import data_dir
from reconciler.gitops import GITIGNORE

FOLDERS = ("intents", "approvals", "exceptions", "incidents", "packages", "detection")
RINGS = (
    ("lab", "IT lab machines and the endpoint team's own devices", 60, None),
    ("canary", "Volunteers across every site and hardware model", 140, (0.97, 20, 24)),
    ("pilot", "One team per business unit", 420, (0.97, 50, 48)),
    ("broad", "Most office staff", 980, (0.99, 150, 72)),
    ("global", "Everyone", 1200, (0.99, 400, 72)),
)


def fleet_yaml(name: str, owner: str, today: str) -> str:
    lines = [
        "# yaml-language-server: $schema=schemas/fleet-config.schema.json",
        "# Replace every group id with your tenant's (Entra ID groups, Jamf Pro computer groups).",
        "apiVersion: eucora.io/v1alpha1",
        "kind: FleetConfig",
        "metadata:",
        f"  name: {name}",
        "spec:",
        "  riskModel: v1.1",
        "  trustMaturity:",
        "    level: 0          # baseline: every intent needs CAB approval",
        f"    since: {today}",
        "  rings:",
    ]
    for index, (ring, description, expected, gates) in enumerate(RINGS, 1):
        lines += [
            f"    - name: {ring}",
            f"      description: {description}",
            f"      devicesExpected: {expected}",
            "      groups:",
            f'        intune: ["00000000-0000-4000-8000-00000000000{index}"]',
            f"        jamf: [{index}]",
        ]
        if gates:
            rate, devices, soak = gates
            lines.append(
                f"      gates: {{minSuccessRate: {rate}, minDevices: {devices}, soakHours: {soak}}}"
            )
    lines += [
        "  cab:",
        "    firstRing: pilot",
        "    members:",
        f"      - {{principal: {owner}, roles: [cab-chair, change-manager]}}",
        "    quorum:",
        "      CRITICAL_INFRASTRUCTURE: 3",
        "      BUSINESS_CRITICAL: 2",
        "      PRODUCTIVITY_TOOLS: 1",
        "      NON_CRITICAL: 1",
        "    requiredRoles:",
        "      CRITICAL_INFRASTRUCTURE: [security, change-manager]",
        "      BUSINESS_CRITICAL: [change-manager]",
        "  freezeWindows: []",
        "  prune: false",
    ]
    return "\n".join(lines) + "\n"


@command("init")
def init(
    target: Annotated[Path, typer.Argument(help="Directory of the new fleet repo.")],
    name: Annotated[str, typer.Option("--name", help="FleetConfig name.")] = "fleet",
    owner: Annotated[
        str, typer.Option("--owner", help="First CAB member (e-mail); add the others later.")
    ] = "cab@example.com",
    output: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.TEXT,
) -> None:
    """Create a new fleet repo: FleetConfig, risk model, folders, schemas, .gitignore."""
    if target.exists() and any(target.iterdir()):
        fail(f"{target} exists and is not empty; nothing written")
    if not re.fullmatch(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?", name):
        fail(f"--name {name!r}: lower-case letters, digits, '-' and '.'")
    today = datetime.now(UTC).date().isoformat()
    files = {
        "fleet.yaml": fleet_yaml(name, owner, today),
        ".gitignore": GITIGNORE,
        "risk-models/v1.1.yaml": re.sub(
            r"^(# yaml-language-server: \$schema=)(?:\.\./)+schemas/",
            r"\g<1>../schemas/",
            (data_dir("examples") / "fleet-repo/risk-models/v1.1.yaml").read_text("utf-8"),
            flags=re.M,
        ),
    }
    for schema in sorted(data_dir("schemas").glob("*.schema.json")):
        files[f"schemas/{schema.name}"] = schema.read_text(encoding="utf-8")
    for folder in FOLDERS:
        files[f"{folder}/.gitkeep"] = ""
    for rel, text in files.items():
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    with handle_errors():
        result = load_repo(target, check_packages=True)
    if not result.ok:
        fail(f"{target}: the new repo does not validate: {result.errors[0].message}", EXIT_FINDINGS)
    if output is OutputFormat.JSON:
        print_json({"repo": str(target), "files": sorted(files)})
        return
    console.print(f"new fleet repo in {target}: {result.documents} documents, no findings")
    console.print("next: replace the group ids in fleet.yaml, add CAB members, then")
    console.print(f"  cd {target} && git init && git add -A && git commit -m 'Fleet configuration'")
    console.print("  write intents/<app>-<version>.yaml and run `eucora validate`")
