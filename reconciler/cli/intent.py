"""``eucora intent new``: scaffold a DeploymentIntent from an installer and its evidence.

Reads the installer (``.intunewin``: Detection.xml; ``.pkg``: PackageInfo) with
``reconciler.packages``, hashes it, and, when given, the CycloneDX SBOM and the
vulnerability report (grype or Trivy JSON, CycloneDX VEX). What the files cannot say
(requester, blast radius, audience, the install command of a non-MSI setup) is written as a
``TODO: …`` value that ``eucora validate`` reports on its line until someone fills it in.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from reconciler.cli._common import (
    EXIT_USAGE,
    OutputFormat,
    app,
    err_console,
    fail,
    handle_errors,
    print_json,
)
from reconciler.domain.documents.package_source import InvalidLocation, is_remote, package_location
from reconciler.packages import InstallerFacts, inspect_installer, read_sbom, read_scan

intent_app = typer.Typer(help="Deployment intents: scaffold one from an installer.",
                         no_args_is_help=True)  # fmt: skip
app.add_typer(intent_app, name="intent")

TODO = "TODO"


def _todo(what: str) -> str:
    return f"{TODO}: {what}"


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9.-]+", "-", text.lower()).strip("-.")
    return re.sub(r"-{2,}", "-", slug) or "app"


def _inside(path: Path, repo: Path) -> str | None:
    try:
        return path.resolve().relative_to(repo.resolve()).as_posix()
    except ValueError:
        return None


def _windows(facts: InstallerFacts, file: str) -> dict[str, Any]:
    package: dict[str, Any] = {"file": file, "sha256": facts.sha256, "sizeBytes": facts.size}
    setup = facts.setup_file or facts.name
    if setup:
        package["setupFile"] = setup
    if facts.msi_product_code:
        package["installCommand"] = f'msiexec /i "{setup}" /qn'
        package["uninstallCommand"] = f'msiexec /x "{facts.msi_product_code}" /qn'
        detection: dict[str, Any] = {"type": "msiProductCode",
                                     "productCode": facts.msi_product_code}  # fmt: skip
        if facts.version:
            detection["productVersion"] = facts.version
        package["detection"] = detection
    else:
        package["installCommand"] = _todo(f"silent install command of {setup or 'the setup'}")
        package["uninstallCommand"] = _todo("silent uninstall command")
        package["detection"] = {"type": _todo("msiProductCode, file, registry or script")}
    if facts.reboot_required:
        package["restartBehavior"] = "force"
    return package


def _macos(facts: InstallerFacts, file: str) -> dict[str, Any]:
    package: dict[str, Any] = {"file": file, "sha256": facts.sha256, "sizeBytes": facts.size}
    package["bundleId"] = facts.bundle_id or facts.identifier or _todo("bundle identifier")
    if facts.version:
        package["bundleVersion"] = facts.version
    if facts.reboot_required:
        package["rebootRequired"] = True
    return package


def scaffold(
    installer: Path,
    *,
    repo: Path,
    file: str | None,
    name: str | None,
    sbom: Path | None,
    scan: Path | None,
) -> tuple[dict[str, Any], InstallerFacts, list[str]]:
    """The intent document, the installer's facts and warnings for the person."""
    warnings: list[str] = []
    facts = inspect_installer(installer)
    platform = "windows" if facts.kind == "intunewin" else "macos"
    reference = file or _inside(installer, repo)
    if reference is None:
        reference = f"packages/{platform}/{installer.name}"
        warnings.append(f"{installer} is outside the repo: copy it to {reference}, or give "
                        "--file with the URL it is stored at (https://, s3://, az://)")  # fmt: skip
    package = (_windows if platform == "windows" else _macos)(facts, reference)
    app_name = facts.name.removesuffix(".msi").removesuffix(".exe") if facts.name else ""
    version = facts.version or _todo("version")
    spec: dict[str, Any] = {
        "app": {
            "name": app_name or _todo("application name"),
            "publisher": facts.publisher or _todo("publisher"),
            "version": version,
        },
        "requester": _todo("requester e-mail"),
        "blastRadius": _todo(
            "NON_CRITICAL, PRODUCTIVITY_TOOLS, BUSINESS_CRITICAL or CRITICAL_INFRASTRUCTURE"
        ),
        "privileged": facts.machine_install is not False,
        "targetUsers": _todo("number of users at the last ring"),
        "packages": {platform: package},
    }
    evidence: dict[str, Any] = {}
    if sbom is not None:
        bom = read_sbom(sbom)
        evidence["sbom"] = {"format": "cyclonedx", "sha256": bom.sha256,
                            "components": bom.components}  # fmt: skip
        evidence["sbom"] |= _evidence_file(sbom, repo, "SBOM", warnings)
    if scan is not None:
        summary = read_scan(scan)
        day = summary.date or datetime.now(UTC).date()
        evidence["scan"] = {"scanner": summary.scanner, "date": day.isoformat(),
                            **summary.counts, "sha256": summary.sha256}  # fmt: skip
        evidence["scan"] |= _evidence_file(scan, repo, "scan report", warnings)
    if evidence:
        spec["evidence"] = evidence
    spec["rollout"] = {"until": _todo("last ring"), "driftPolicy": "correct"}
    metadata_name = name or _slug(f"{app_name or installer.stem}-{facts.version or 'new'}")
    document = {"apiVersion": "eucora.io/v1alpha1", "kind": "DeploymentIntent",
                "metadata": {"name": metadata_name}, "spec": spec}  # fmt: skip
    return document, facts, warnings


def _evidence_file(path: Path, repo: Path, what: str, warnings: list[str]) -> dict[str, str]:
    inside = _inside(path, repo)
    if inside is None:
        warnings.append(f"the {what} {path} is outside the repo: only its hash is recorded; "
                        "commit it and set `file` to have it checked again at apply")  # fmt: skip
        return {}
    return {"file": inside}


def _todos(document: Any, path: str = "") -> list[str]:
    if isinstance(document, dict):
        return [t for k, v in document.items() for t in _todos(v, f"{path}/{k}")]
    if isinstance(document, str) and document.startswith(f"{TODO}:"):
        return [path]
    return []


def _existing(path: Path, option: str) -> Path:
    if not path.is_file():
        fail(f"{option} {path}: no such file", EXIT_USAGE)
    return path


@intent_app.command("new")
def new(
    package: Annotated[Path, typer.Argument(help="The installer: .intunewin or .pkg.")],
    sbom: Annotated[Path | None, typer.Option(help="CycloneDX SBOM (JSON).")] = None,
    scan: Annotated[
        Path | None, typer.Option(help="Vulnerability report: grype or Trivy JSON, CycloneDX VEX.")
    ] = None,
    repo: Annotated[Path, typer.Option("--repo", "-r", help="Fleet repo directory.")] = Path(),
    file: Annotated[
        str | None,
        typer.Option(help="What `file:` says: the repo path or https/s3/az URL of the installer."),
    ] = None,
    name: Annotated[str | None, typer.Option(help="metadata.name (default: app-version).")] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the intent here (default: stdout).")
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite --out if it exists.")] = False,
    output: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.TEXT,
) -> None:
    """Scaffold an intent from an installer: sha256, size and what the file says about
    itself, plus evidence from an SBOM and a scan report. Unknown fields are `TODO: …`
    values that `eucora validate` reports until they are filled in.

    Exit 0 on success, 1 when a file cannot be read as what it should be, 2 on usage errors.
    """
    for path, option in ((package, "PACKAGE"), (sbom, "--sbom"), (scan, "--scan")):
        if path is not None:
            _existing(path, option)
    if file is not None and is_remote(file):
        try:
            package_location(file)
        except InvalidLocation as exc:
            fail(f"--file: {exc}", EXIT_USAGE)
    if out is not None and out.exists() and not force:
        fail(f"--out {out} exists; pass --force to overwrite it", EXIT_USAGE)
    with handle_errors():
        document, facts, warnings = scaffold(
            package, repo=repo, file=file, name=name, sbom=sbom, scan=scan
        )
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    todos = _todos(document)
    if output is OutputFormat.JSON:
        print_json({"intent": document, "written": str(out) if out else None, "todo": todos,
                    "warnings": warnings, "installer": _facts(facts)})  # fmt: skip
        return
    if out is None:
        print(text, end="")
    for warning in warnings:
        err_console.print(f"[yellow]warning:[/yellow] {warning}")
    if todos:
        err_console.print(f"{len(todos)} field(s) to fill in: {', '.join(todos)}")
    if out is not None:
        err_console.print(f"[green]✓[/green] wrote {out}")


def _facts(facts: InstallerFacts) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(facts).items()}
