"""Supply-chain evidence: a CycloneDX SBOM and a vulnerability report, read and re-checked.

``eucora intent new`` reads them to fill ``spec.evidence``; ``validate`` and the apply step
(before an installer is uploaded) check the pack again with :func:`evidence_problems`: the
SBOM and scan files still have the SHA-256 the intent declares, the SBOM still lists the
declared number of components and the report still counts the declared findings per
severity. The SBOM and VEX are read with the CycloneDX project's own library
(cyclonedx-python-lib); grype and Trivy JSON reports are counted from their documented
fields (grype ``matches[].vulnerability.severity``, Trivy
``Results[].Vulnerabilities[].Severity``). A finding is one vulnerability in one affected
component; a VEX entry whose analysis says it does not apply (not affected, false
positive, resolved) is not counted.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component
from cyclonedx.model.impact_analysis import ImpactAnalysisState

from reconciler.domain.errors import PackageError
from reconciler.packages._cache import file_digest

SEVERITIES = ("critical", "high", "medium", "low")
_EVIDENCE_LIMIT = 64 << 20
_NOT_APPLICABLE = {
    ImpactAnalysisState.NOT_AFFECTED,
    ImpactAnalysisState.FALSE_POSITIVE,
    ImpactAnalysisState.RESOLVED,
    ImpactAnalysisState.RESOLVED_WITH_PEDIGREE,
}
_RANK = {"critical": 4, "high": 3, "medium": 2, "low": 1}


@dataclass(frozen=True, slots=True)
class SbomFacts:
    sha256: str
    spec_version: str
    components: int


@dataclass(frozen=True, slots=True)
class ScanSummary:
    scanner: str
    sha256: str
    date: date | None
    counts: Mapping[str, int]


def _json(path: Path, what: str) -> Any:
    if path.stat().st_size > _EVIDENCE_LIMIT:
        raise PackageError(f"{what} {path.name} is larger than {_EVIDENCE_LIMIT >> 20} MiB")
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PackageError(f"{what} {path.name} is not JSON: {exc}") from exc


def _bom(document: Any, path: Path) -> Bom:
    if not isinstance(document, dict) or document.get("bomFormat") != "CycloneDX":
        raise PackageError(f"{path.name} is not a CycloneDX JSON document (bomFormat)")
    try:
        bom = Bom.from_json(document)  # type: ignore[attr-defined]
    except Exception as exc:  # the library raises many kinds on malformed input
        raise PackageError(f"{path.name}: not a valid CycloneDX document: {exc}") from exc
    if not isinstance(bom, Bom):
        raise PackageError(f"{path.name}: not a valid CycloneDX document")
    return bom


def _count(components: Iterable[Component]) -> int:
    return sum(1 + _count(c.components) for c in components)


def read_sbom(path: Path) -> SbomFacts:
    """Hash, CycloneDX spec version and component count (nested components included)."""
    document = _json(path, "SBOM")
    bom = _bom(document, path)
    return SbomFacts(file_digest(path)[0], str(document.get("specVersion", "")),
                     _count(bom.components))  # fmt: skip


def _day(text: Any) -> date | None:
    if not isinstance(text, str) or len(text) < 10:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def read_scan(path: Path) -> ScanSummary:
    """Findings per severity of a grype or Trivy JSON report or a CycloneDX VEX."""
    document = _json(path, "scan report")
    sha256 = file_digest(path)[0]
    if isinstance(document, dict) and isinstance(document.get("matches"), list):
        descriptor = document.get("descriptor") or {}
        severities = [str((m.get("vulnerability") or {}).get("severity", "")) for m in
                      document["matches"] if isinstance(m, dict)]  # fmt: skip
        return ScanSummary("grype", sha256, _day(descriptor.get("timestamp")), _tally(severities))
    if isinstance(document, dict) and "SchemaVersion" in document and "Results" in document:
        severities = [
            str(v.get("Severity", ""))
            for result in document.get("Results") or []
            if isinstance(result, dict)
            for v in result.get("Vulnerabilities") or []
            if isinstance(v, dict)
        ]
        return ScanSummary("trivy", sha256, _day(document.get("CreatedAt")), _tally(severities))
    if isinstance(document, dict) and document.get("bomFormat") == "CycloneDX":
        bom = _bom(document, path)
        severities = []
        for vulnerability in bom.vulnerabilities:
            analysis = vulnerability.analysis
            if analysis is not None and analysis.state in _NOT_APPLICABLE:
                continue
            ratings = [str(r.severity.value) for r in vulnerability.ratings if r.severity]
            severities.append(max(ratings, key=lambda s: _RANK.get(s, 0), default=""))
        stamp = (document.get("metadata") or {}).get("timestamp")
        return ScanSummary("cyclonedx-vex", sha256, _day(stamp), _tally(severities))
    raise PackageError(
        f"{path.name}: not a grype JSON report, a Trivy JSON report or a CycloneDX VEX"
    )


def _tally(severities: Iterable[str]) -> dict[str, int]:
    counted = Counter(s.lower() for s in severities)
    return {s: counted.get(s, 0) for s in SEVERITIES}


def evidence_problems(root: Path, spec: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(JSON pointer, message) for each way the evidence files disagree with the intent."""
    evidence = spec.get("evidence") or {}
    sbom, scan = evidence.get("sbom") or {}, evidence.get("scan") or {}
    if isinstance(sbom.get("file"), str):
        yield from _sbom_problems(root, sbom)
    if isinstance(scan.get("file"), str):
        yield from _scan_problems(root, scan)


def _evidence_file(root: Path, file: str) -> Path | None:
    path = (root / file).resolve()
    base = root.resolve()
    return path if base in path.parents and path.is_file() and not path.is_symlink() else None


def _sbom_problems(root: Path, sbom: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    at = "/spec/evidence/sbom"
    path = _evidence_file(root, sbom["file"])
    if path is None:
        yield f"{at}/file", f"SBOM {sbom['file']!r} does not exist in the fleet repo"
        return
    try:
        facts = read_sbom(path)
    except PackageError as exc:
        yield f"{at}/file", exc.message
        return
    name = repr(sbom["file"])
    if sbom.get("sha256") not in (None, facts.sha256):
        declared = sbom["sha256"]
        yield (
            f"{at}/sha256",
            f"SBOM {name} has sha256 {facts.sha256}; the intent declares {declared}",
        )
    if sbom.get("components") not in (None, facts.components):
        declared = sbom["components"]
        yield (
            f"{at}/components",
            f"SBOM {name} lists {facts.components} components; the intent declares {declared}",
        )


def _scan_problems(root: Path, scan: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    at = "/spec/evidence/scan"
    path = _evidence_file(root, scan["file"])
    if path is None:
        yield f"{at}/file", f"scan report {scan['file']!r} does not exist in the fleet repo"
        return
    try:
        summary = read_scan(path)
    except PackageError as exc:
        yield f"{at}/file", exc.message
        return
    name = repr(scan["file"])
    if scan.get("sha256") not in (None, summary.sha256):
        yield (
            f"{at}/sha256",
            f"scan report {name} has sha256 {summary.sha256}; the intent declares {scan['sha256']}",
        )
    for severity in SEVERITIES:
        declared = scan.get(severity)
        found = summary.counts[severity]
        if declared is not None and declared != found:
            yield (
                f"{at}/{severity}",
                f"scan report {name} counts {found} {severity}; the intent declares {declared}",
            )


def check_evidence(root: Path, name: str, spec: Mapping[str, Any]) -> None:
    """Raise :class:`PackageError` when the evidence pack of intent ``name`` disagrees."""
    problems = [f"{where}: {message}" for where, message in evidence_problems(root, spec)]
    if problems:
        raise PackageError(f"evidence of {name} no longer matches: {'; '.join(problems)}")


__all__ = [
    "SEVERITIES",
    "SbomFacts",
    "ScanSummary",
    "check_evidence",
    "evidence_problems",
    "read_sbom",
    "read_scan",
]
