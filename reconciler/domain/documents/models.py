"""Typed, immutable models of the fleet-repo documents.

Built by the loader from documents that passed their JSON Schema, so constructors here
trust shapes and types; anything the schema cannot express (calendar-valid timestamps,
cross-references) is checked by the loader. Every model keeps its raw ``spec`` mapping
(the digest and the policy input are computed from it) and its :class:`Source`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from types import MappingProxyType
from typing import Any

from reconciler.domain.documents.digest import attested_payload, governed_digest, intent_digest


class BlastRadius(enum.StrEnum):
    """Blast-radius classes, from least to most severe (``rank`` orders them)."""

    NON_CRITICAL = "NON_CRITICAL"
    PRODUCTIVITY_TOOLS = "PRODUCTIVITY_TOOLS"
    BUSINESS_CRITICAL = "BUSINESS_CRITICAL"
    CRITICAL_INFRASTRUCTURE = "CRITICAL_INFRASTRUCTURE"

    @property
    def rank(self) -> int:
        return list(BlastRadius).index(self)


DEFAULT_QUORUM: Mapping[BlastRadius, int] = MappingProxyType(
    {
        BlastRadius.CRITICAL_INFRASTRUCTURE: 3,
        BlastRadius.BUSINESS_CRITICAL: 2,
        BlastRadius.PRODUCTIVITY_TOOLS: 1,
        BlastRadius.NON_CRITICAL: 1,
    }
)


def parse_datetime(text: str) -> datetime:
    """RFC 3339 timestamp → aware UTC datetime (raises ValueError)."""
    value = datetime.fromisoformat(text.replace("z", "Z"))
    if value.tzinfo is None:
        raise ValueError(f"timestamp {text!r} has no time zone")
    return value.astimezone(UTC)


def parse_date(text: str) -> date:
    return date.fromisoformat(text)


@dataclass(frozen=True, slots=True)
class Source:
    """Where a document came from: repo-relative file and document index within it."""

    file: str
    index: int = 0
    line: int = 1


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """Frozen spec → plain JSON-compatible dicts and lists."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [thaw(v) for v in value]
    return value


# --- FleetConfig -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Gates:
    min_success_rate: float | None = None
    min_devices: int | None = None
    soak_hours: float | None = None
    halt_below_success_rate: float | None = None
    #: share of the previous ring's targeted devices that reached the desired state within
    #: their connectivity class's target (time to compliance)
    min_compliant_share: float | None = None

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any] | None) -> Gates:
        spec = spec or {}
        return cls(
            spec.get("minSuccessRate"),
            spec.get("minDevices"),
            spec.get("soakHours"),
            spec.get("haltBelowSuccessRate"),
            spec.get("minCompliantShare"),
        )

    def tightened_by(self, override: Gates) -> Gates:
        """These gates with ``override`` applied where it is stricter."""

        def pick(base: Any, new: Any) -> Any:
            if new is None:
                return base
            return new if base is None else max(base, new)

        return Gates(
            pick(self.min_success_rate, override.min_success_rate),
            pick(self.min_devices, override.min_devices),
            pick(self.soak_hours, override.soak_hours),
            pick(self.halt_below_success_rate, override.halt_below_success_rate),
            pick(self.min_compliant_share, override.min_compliant_share),
        )


@dataclass(frozen=True, slots=True)
class Ring:
    name: str
    index: int
    description: str = ""
    #: the ring's target groups per ring-group key (a provider's ``ring_group_key``): the
    #: group ids (as text) that provider assigns this ring's installs to
    groups: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    gates: Gates = field(default_factory=Gates)
    devices_expected: int | None = None


@dataclass(frozen=True, slots=True)
class CabMember:
    principal: str
    roles: tuple[str, ...]
    name: str = ""


@dataclass(frozen=True, slots=True)
class FreezeWindow:
    name: str
    start: datetime
    end: datetime
    rings: tuple[str, ...] = ()
    reason: str = ""

    def applies(self, ring: str, at: datetime) -> bool:
        return (not self.rings or ring in self.rings) and self.start <= at < self.end


@dataclass(frozen=True, slots=True)
class CabConfig:
    first_ring: str
    members: tuple[CabMember, ...]
    quorum: Mapping[BlastRadius, int]
    required_roles: Mapping[BlastRadius, tuple[str, ...]]

    def roles_of(self, principal: str) -> tuple[str, ...]:
        for member in self.members:
            if member.principal.lower() == principal.lower():
                return member.roles
        return ()


@dataclass(frozen=True, slots=True)
class FleetConfig:
    name: str
    source: Source
    risk_model: str
    maturity_level: int
    maturity_since: date | None
    rings: tuple[Ring, ...]
    cab: CabConfig
    freeze_windows: tuple[FreezeWindow, ...]
    prune: bool
    spec: Mapping[str, Any]
    #: provider name per platform (``spec.providers``) as written; providers fill the rest
    providers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: digest of kind, name and spec: what a governance approval binds to
    digest: str = ""

    def ring(self, name: str) -> Ring | None:
        for ring in self.rings:
            if ring.name == name:
                return ring
        return None

    @property
    def ring_names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.rings)

    @classmethod
    def from_document(cls, doc: Mapping[str, Any], source: Source) -> FleetConfig:
        spec = doc["spec"]
        rings = tuple(
            Ring(
                name=r["name"],
                index=i,
                description=r.get("description", ""),
                groups=MappingProxyType(
                    {str(k): tuple(str(g) for g in v) for k, v in r.get("groups", {}).items()}
                ),
                gates=Gates.from_spec(r.get("gates")),
                devices_expected=r.get("devicesExpected"),
            )
            for i, r in enumerate(spec["rings"])
        )
        cab = spec["cab"]
        quorum = dict(DEFAULT_QUORUM)
        quorum.update({BlastRadius(k): v for k, v in cab.get("quorum", {}).items()})
        roles = {BlastRadius(k): tuple(v) for k, v in cab.get("requiredRoles", {}).items()}
        maturity = spec["trustMaturity"]
        return cls(
            name=doc["metadata"]["name"],
            source=source,
            risk_model=spec["riskModel"],
            maturity_level=maturity["level"],
            maturity_since=parse_date(maturity["since"]) if "since" in maturity else None,
            rings=rings,
            cab=CabConfig(
                first_ring=cab["firstRing"],
                members=tuple(
                    CabMember(m["principal"], tuple(m["roles"]), m.get("name", ""))
                    for m in cab["members"]
                ),
                quorum=MappingProxyType(quorum),
                required_roles=MappingProxyType(roles),
            ),
            freeze_windows=tuple(
                FreezeWindow(
                    name=w["name"],
                    start=parse_datetime(w["start"]),
                    end=parse_datetime(w["end"]),
                    rings=tuple(w.get("rings", ())),
                    reason=w.get("reason", ""),
                )
                for w in spec.get("freezeWindows", ())
            ),
            prune=bool(spec.get("prune", False)),
            spec=_freeze(spec),
            providers=MappingProxyType(
                {str(k): str(v) for k, v in spec.get("providers", {}).items()}
            ),
            digest=governed_digest("FleetConfig", doc["metadata"]["name"], spec),
        )


# --- RiskModel ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FactorRule:
    when: Mapping[str, Mapping[str, Any]]
    value: float
    reason: str = ""


@dataclass(frozen=True, slots=True)
class RiskFactor:
    name: str
    weight: float
    default: float
    description: str = ""
    rules: tuple[FactorRule, ...] = ()


@dataclass(frozen=True, slots=True)
class ClassifierRule:
    blast_radius: BlastRadius
    reason: str
    keywords: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    privileged: bool | None = None
    min_target_users: int | None = None


@dataclass(frozen=True, slots=True)
class MaturityLevel:
    level: int
    mode: str
    min_weeks: int
    auto_approve: Mapping[BlastRadius, float]
    max_incident_rate: float | None = None
    max_p1: int | None = None
    max_p2: int | None = None
    p1p2_free_weeks: int | None = None


@dataclass(frozen=True, slots=True)
class RiskModel:
    name: str
    source: Source
    factors: tuple[RiskFactor, ...]
    classifier: tuple[ClassifierRule, ...]
    maturity_levels: tuple[MaturityLevel, ...]
    exception_threshold: float
    spec: Mapping[str, Any]
    digest: str = ""

    def factor(self, name: str) -> RiskFactor | None:
        return next((f for f in self.factors if f.name == name), None)

    def maturity(self, level: int) -> MaturityLevel | None:
        return next((m for m in self.maturity_levels if m.level == level), None)

    @classmethod
    def from_document(cls, doc: Mapping[str, Any], source: Source) -> RiskModel:
        spec = doc["spec"]
        return cls(
            name=doc["metadata"]["name"],
            source=source,
            factors=tuple(
                RiskFactor(
                    name=f["name"],
                    weight=float(f["weight"]),
                    default=float(f["default"]),
                    description=f.get("description", ""),
                    rules=tuple(
                        FactorRule(_freeze(r["when"]), float(r["value"]), r.get("reason", ""))
                        for r in f.get("rules", ())
                    ),
                )
                for f in spec["factors"]
            ),
            classifier=tuple(
                ClassifierRule(
                    blast_radius=BlastRadius(r["class"]),
                    reason=r["reason"],
                    keywords=tuple(k.lower() for k in r.get("keywords", ())),
                    categories=tuple(r.get("categories", ())),
                    privileged=r.get("privileged"),
                    min_target_users=r.get("minTargetUsers"),
                )
                for r in spec.get("classifier", {}).get("rules", ())
            ),
            maturity_levels=tuple(
                MaturityLevel(
                    level=m["level"],
                    mode=m["mode"],
                    min_weeks=m["minWeeks"],
                    auto_approve=MappingProxyType(
                        {BlastRadius(k): float(v) for k, v in m["autoApprove"].items()}
                    ),
                    max_incident_rate=m.get("maxIncidentRate"),
                    max_p1=m.get("maxP1"),
                    max_p2=m.get("maxP2"),
                    p1p2_free_weeks=m.get("p1p2FreeWeeks"),
                )
                for m in spec["maturityLevels"]
            ),
            exception_threshold=float(spec.get("exceptionThreshold", 75)),
            spec=_freeze(spec),
            digest=governed_digest("RiskModel", doc["metadata"]["name"], spec),
        )


# --- DeploymentIntent --------------------------------------------------------------


class DriftPolicy(enum.StrEnum):
    CORRECT = "correct"
    WARN = "warn"
    IGNORE = "ignore"


class OnFailure(enum.StrEnum):
    HALT = "halt"
    ROLLBACK = "rollback"


@dataclass(frozen=True, slots=True)
class App:
    name: str
    publisher: str
    version: str
    category: str = ""
    description: str = ""
    homepage: str = ""


@dataclass(frozen=True, slots=True)
class WindowsPackage:
    file: str
    install_command: str
    uninstall_command: str
    detection: Mapping[str, Any]
    sha256: str | None = None
    size_bytes: int | None = None
    setup_file: str | None = None
    architectures: tuple[str, ...] = ("x64",)
    minimum_windows_release: str | None = None
    restart_behavior: str = "basedOnReturnCode"
    return_codes: tuple[tuple[int, str], ...] = ()
    #: the provider named for this package; None means the fleet's provider for the platform
    provider: str | None = None


@dataclass(frozen=True, slots=True)
class MacosPackage:
    file: str
    bundle_id: str
    sha256: str | None = None
    size_bytes: int | None = None
    bundle_version: str | None = None
    minimum_os_version: str | None = None
    reboot_required: bool = False
    #: further app bundles the installer puts in place: (bundle id, version or None)
    included_apps: tuple[tuple[str, str | None], ...] = ()
    #: install as a managed app (MDM providers that can; macOS 11 or later)
    install_as_managed: bool = False
    #: the installed version does not count in detection (apps that update themselves)
    ignore_version_detection: bool = False
    #: the provider named for this package; None means the fleet's provider for the platform
    provider: str | None = None


@dataclass(frozen=True, slots=True)
class RiskOverride:
    factor: str
    value: float
    justification: str


@dataclass(frozen=True, slots=True)
class Rollout:
    until: str
    auto_promote: bool = True
    drift_policy: DriftPolicy = DriftPolicy.CORRECT
    suspend: bool = False
    supersedes: str | None = None
    on_failure: OnFailure = OnFailure.HALT
    #: exercise the rollback in the first ring before cab.firstRing (rollback-validated)
    rollback_drill: bool = False
    gates: Mapping[str, Gates] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True, slots=True)
class DeploymentIntent:
    name: str
    source: Source
    app: App
    requester: str
    blast_radius: BlastRadius
    privileged: bool
    target_users: int
    windows: WindowsPackage | None
    macos: MacosPackage | None
    rollout: Rollout
    risk_overrides: tuple[RiskOverride, ...]
    spec: Mapping[str, Any]
    digest: str
    #: repo files (besides packages) the digest covers, e.g. detection scripts
    files: tuple[str, ...] = ()

    @property
    def evidence(self) -> Mapping[str, Any]:
        value: Mapping[str, Any] = self.spec.get("evidence", MappingProxyType({}))
        return value

    @property
    def platforms(self) -> tuple[str, ...]:
        return tuple(p for p, pkg in (("windows", self.windows), ("macos", self.macos)) if pkg)

    @property
    def adopt(self) -> Mapping[str, Any]:
        """``spec.adopt``: per provider, the existing object this intent takes over."""
        value: Mapping[str, Any] = self.spec.get("adopt", MappingProxyType({}))
        return value

    @classmethod
    def from_document(cls, doc: Mapping[str, Any], source: Source) -> DeploymentIntent:
        spec = doc["spec"]
        app = spec["app"]
        packages = spec["packages"]
        win = packages.get("windows")
        mac = packages.get("macos")
        rollout = spec["rollout"]
        return cls(
            name=doc["metadata"]["name"],
            source=source,
            app=App(
                name=app["name"],
                publisher=app["publisher"],
                version=app["version"],
                category=app.get("category", ""),
                description=app.get("description", ""),
                homepage=app.get("homepage", ""),
            ),
            requester=spec["requester"],
            blast_radius=BlastRadius(spec["blastRadius"]),
            privileged=bool(spec.get("privileged", False)),
            target_users=spec["targetUsers"],
            windows=WindowsPackage(
                file=win["file"],
                install_command=win["installCommand"],
                uninstall_command=win["uninstallCommand"],
                detection=_freeze(win["detection"]),
                sha256=win.get("sha256"),
                size_bytes=win.get("sizeBytes"),
                setup_file=win.get("setupFile"),
                architectures=tuple(win.get("architectures", ("x64",))),
                minimum_windows_release=win.get("minimumWindowsRelease"),
                restart_behavior=win.get("restartBehavior", "basedOnReturnCode"),
                return_codes=tuple((rc["code"], rc["type"]) for rc in win.get("returnCodes", ())),
                provider=win.get("provider"),
            )
            if win
            else None,
            macos=MacosPackage(
                file=mac["file"],
                bundle_id=mac["bundleId"],
                sha256=mac.get("sha256"),
                size_bytes=mac.get("sizeBytes"),
                bundle_version=mac.get("bundleVersion"),
                minimum_os_version=mac.get("minimumOsVersion"),
                reboot_required=bool(mac.get("rebootRequired", False)),
                included_apps=tuple(
                    (str(a["bundleId"]), a.get("bundleVersion"))
                    for a in mac.get("includedApps", ())
                ),
                install_as_managed=bool(mac.get("installAsManaged", False)),
                ignore_version_detection=bool(mac.get("ignoreVersionDetection", False)),
                provider=mac.get("provider"),
            )
            if mac
            else None,
            rollout=Rollout(
                until=rollout["until"],
                auto_promote=bool(rollout.get("autoPromote", True)),
                drift_policy=DriftPolicy(rollout.get("driftPolicy", "correct")),
                suspend=bool(rollout.get("suspend", False)),
                supersedes=rollout.get("supersedes"),
                on_failure=OnFailure(rollout.get("onFailure", "halt")),
                rollback_drill=bool(rollout.get("rollbackDrill", False)),
                gates=MappingProxyType(
                    {ring: Gates.from_spec(g) for ring, g in rollout.get("gates", {}).items()}
                ),
            ),
            risk_overrides=tuple(
                RiskOverride(o["factor"], float(o["value"]), o["justification"])
                for o in spec.get("riskOverrides", ())
            ),
            spec=_freeze(spec),
            digest=intent_digest(spec),
        )


# --- CAB documents and incidents -----------------------------------------------------


class Decision(enum.StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class CABApproval:
    name: str
    source: Source
    intent: str
    intent_digest: str
    approver: str
    decision: Decision
    rings: tuple[str, ...]
    approved_at: datetime
    expires: datetime
    exception: str | None = None
    role: str | None = None
    conditions: tuple[str, ...] = ()
    comment: str = ""
    exception_digest: str | None = None
    #: the bytes ``signature`` covers (canonical JSON of the document without it)
    payload: bytes = b""
    signature: str = ""

    @classmethod
    def from_document(cls, doc: Mapping[str, Any], source: Source) -> CABApproval:
        spec = doc["spec"]
        return cls(
            exception_digest=spec.get("exceptionDigest"),
            payload=attested_payload(doc),
            signature=doc.get("signature", ""),
            name=doc["metadata"]["name"],
            source=source,
            intent=spec["intent"],
            intent_digest=spec["intentDigest"],
            approver=spec["approver"],
            decision=Decision(spec["decision"]),
            rings=tuple(spec["rings"]),
            approved_at=parse_datetime(spec["approvedAt"]),
            expires=parse_datetime(spec["expires"]),
            exception=spec.get("exception"),
            role=spec.get("role"),
            conditions=tuple(spec.get("conditions", ())),
            comment=spec.get("comment", ""),
        )


@dataclass(frozen=True, slots=True)
class CABException:
    name: str
    source: Source
    intent: str
    intent_digest: str
    requested_by: str
    reason: str
    compensating_controls: tuple[str, ...]
    expires: datetime
    rings: tuple[str, ...]
    covers_risk: bool
    covers_freeze_windows: tuple[str, ...]
    #: what an exception approval binds to (``exceptionDigest``)
    digest: str = ""

    @classmethod
    def from_document(cls, doc: Mapping[str, Any], source: Source) -> CABException:
        spec = doc["spec"]
        covers = spec["covers"]
        return cls(
            name=doc["metadata"]["name"],
            source=source,
            intent=spec["intent"],
            intent_digest=spec["intentDigest"],
            requested_by=spec["requestedBy"],
            reason=spec["reason"],
            compensating_controls=tuple(spec["compensatingControls"]),
            expires=parse_datetime(spec["expires"]),
            rings=tuple(spec.get("rings", ())),
            covers_risk=bool(covers.get("riskThreshold", False)),
            covers_freeze_windows=tuple(covers.get("freezeWindows", ())),
            digest=governed_digest("CABException", doc["metadata"]["name"], spec),
        )


class Severity(enum.StrEnum):
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"


OPEN_INCIDENT_STATES = frozenset({"open", "investigating"})


@dataclass(frozen=True, slots=True)
class Incident:
    name: str
    source: Source
    intent: str
    severity: Severity
    status: str
    title: str
    opened_at: datetime
    resolved_at: datetime | None = None
    rings: tuple[str, ...] = ()
    devices_affected: int | None = None
    blast_radius: BlastRadius | None = None
    auto_approved: bool | None = None
    risk_score: float | None = None
    root_cause: str = ""
    digest: str = ""

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_INCIDENT_STATES

    @classmethod
    def from_document(cls, doc: Mapping[str, Any], source: Source) -> Incident:
        spec = doc["spec"]
        return cls(
            name=doc["metadata"]["name"],
            source=source,
            intent=spec["intent"],
            severity=Severity(spec["severity"]),
            status=spec["status"],
            title=spec["title"],
            opened_at=parse_datetime(spec["openedAt"]),
            resolved_at=parse_datetime(spec["resolvedAt"]) if "resolvedAt" in spec else None,
            rings=tuple(spec.get("rings", ())),
            devices_affected=spec.get("devicesAffected"),
            blast_radius=BlastRadius(spec["blastRadius"]) if "blastRadius" in spec else None,
            auto_approved=spec.get("autoApproved"),
            risk_score=spec.get("riskScore"),
            root_cause=spec.get("rootCause", ""),
            digest=governed_digest("Incident", doc["metadata"]["name"], spec),
        )


@dataclass(frozen=True, slots=True)
class GovernanceApproval:
    """A governance approver's signed decision on one version of a governed document."""

    name: str
    source: Source
    kind: str
    document: str
    digest: str
    approver: str
    decision: Decision
    approved_at: datetime
    expires: datetime
    payload: bytes = b""
    signature: str = ""

    @classmethod
    def from_document(cls, doc: Mapping[str, Any], source: Source) -> GovernanceApproval:
        spec = doc["spec"]
        target = spec["document"]
        return cls(
            name=doc["metadata"]["name"],
            source=source,
            kind=target["kind"],
            document=target["name"],
            digest=target["digest"],
            approver=spec["approver"],
            decision=Decision(spec["decision"]),
            approved_at=parse_datetime(spec["approvedAt"]),
            expires=parse_datetime(spec["expires"]),
            payload=attested_payload(doc),
            signature=doc.get("signature", ""),
        )


# --- the whole repo ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FleetRepo:
    """Every valid document of a fleet repo, by kind and name."""

    fleet: FleetConfig | None
    risk_models: Mapping[str, RiskModel]
    intents: Mapping[str, DeploymentIntent]
    approvals: Mapping[str, CABApproval]
    exceptions: Mapping[str, CABException]
    incidents: Mapping[str, Incident]
    governance_approvals: Mapping[str, GovernanceApproval] = field(
        default_factory=lambda: MappingProxyType({})
    )

    @property
    def risk_model(self) -> RiskModel | None:
        """The active risk model named by FleetConfig."""
        if self.fleet is None:
            return None
        return self.risk_models.get(self.fleet.risk_model)

    def approvals_for(self, intent: str) -> tuple[CABApproval, ...]:
        return tuple(a for a in self.approvals.values() if a.intent == intent)

    def exceptions_for(self, intent: str) -> tuple[CABException, ...]:
        return tuple(e for e in self.exceptions.values() if e.intent == intent)

    def incidents_for(self, intent: str) -> tuple[Incident, ...]:
        return tuple(i for i in self.incidents.values() if i.intent == intent)
