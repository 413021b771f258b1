"""Trust maturity: is the fleet ready to move to the next level, and what blocks it?

Levels 0–4 are defined by the active risk model (minimum weeks at the previous level,
maximum incident rate, P1/P2 limits, P1/P2-free weeks). The evaluation only reports
readiness; moving up is a reviewed, signed change of ``spec.trustMaturity.level`` in Git.

The evidence is the fleet's deployment history, not its list of intents:

* the *window* runs from the level's last governed change (the Git commit that set the
  current level, signed by a key of the out-of-band signers file) to now; without Git it
  starts at ``trustMaturity.since``; an unsigned change of the level leaves the weeks at
  the level unproven;
* a *deployment* is a ring entry the engine recorded (state store or audit log) in the
  window;
* an incident is *attributable* when it was opened in the window for an intent that had
  entered a ring before it opened; the incident rate is attributable incidents ÷
  deployments; P1/P2 counts take every incident opened in the window.

Pure: the history comes in as :class:`Deployment` and :class:`LevelChange` values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from reconciler.domain.documents.models import FleetConfig, FleetRepo, Incident, Severity


@dataclass(frozen=True, slots=True)
class Criterion:
    name: str
    required: str
    actual: str
    met: bool


@dataclass(frozen=True, slots=True)
class Deployment:
    """One ring entry of an intent, as the engine recorded it."""

    intent: str
    ring: str
    entered_at: datetime


@dataclass(frozen=True, slots=True)
class LevelChange:
    """The commit that set the fleet's current trust-maturity level."""

    level: int
    commit: str
    at: datetime
    signer: str | None = None  # verified against the out-of-band signers file

    @property
    def governed(self) -> bool:
        return self.signer is not None


@dataclass(frozen=True, slots=True)
class MaturityReport:
    level: int
    mode: str
    next_level: int | None
    next_mode: str
    weeks_at_level: float | None
    criteria: tuple[Criterion, ...]
    window_start: datetime | None
    window_end: datetime
    #: where the window's start came from: git, trustMaturity.since or unknown
    since_source: str
    level_change: LevelChange | None
    deployments: tuple[Deployment, ...]
    #: incidents opened in the window for an intent deployed before they opened
    incidents: tuple[Incident, ...]
    #: incidents opened in the window with no recorded deployment before them
    unattributed: tuple[Incident, ...]
    #: whether deployment history was given at all
    history_known: bool

    @property
    def ready(self) -> bool:
        return self.next_level is not None and all(c.met for c in self.criteria)

    @property
    def blocking(self) -> tuple[Criterion, ...]:
        return tuple(c for c in self.criteria if not c.met)

    @property
    def incident_rate(self) -> float | None:
        if not self.deployments:
            return None
        return len(self.incidents) / len(self.deployments)


def _window_start(
    fleet: FleetConfig, now: datetime, change: LevelChange | None
) -> tuple[datetime | None, str]:
    declared = (
        datetime.combine(fleet.maturity_since, datetime.min.time(), tzinfo=now.tzinfo)
        if fleet.maturity_since is not None
        else None
    )
    # a change dated after ``now`` (an audit --at in the past) is not known at ``now``
    if change is not None and change.level == fleet.maturity_level and change.at <= now:
        if change.governed:
            return change.at, "git"
        # unsigned: its date proves nothing; count incidents over the longer window
        return min(change.at, declared or change.at), "git (unsigned) and trustMaturity.since"
    if declared is not None:
        return declared, "trustMaturity.since"
    return None, "unknown"


def assess_maturity(
    repo: FleetRepo,
    now: datetime,
    *,
    deployments: Sequence[Deployment] | None = None,
    level_change: LevelChange | None = None,
) -> MaturityReport:
    """Readiness for the next level from the recorded deployments and the Git history of
    the level (``deployments`` None: no history was available)."""
    fleet, model = repo.fleet, repo.risk_model
    if fleet is None or model is None:
        raise ValueError("maturity needs a FleetConfig and its active risk model")
    current = model.maturity(fleet.maturity_level)
    following = model.maturity(fleet.maturity_level + 1)
    start, source = _window_start(fleet, now, level_change)
    ungoverned = source.startswith("git (unsigned)")
    weeks = (now - start) / timedelta(weeks=1) if start is not None and not ungoverned else None

    def in_window(moment: datetime) -> bool:
        return (start is None or moment >= start) and moment <= now

    history = tuple(deployments or ())
    deployed = tuple(d for d in history if in_window(d.entered_at))
    first_entry: dict[str, datetime] = {}
    for d in history:
        first_entry[d.intent] = min(d.entered_at, first_entry.get(d.intent, d.entered_at))
    period = sorted(
        (i for i in repo.incidents.values() if in_window(i.opened_at)), key=lambda i: i.opened_at
    )
    attributable = tuple(
        i for i in period if i.intent in first_entry and first_entry[i.intent] <= i.opened_at
    )
    unattributed = tuple(i for i in period if i not in attributable)
    p1 = sum(1 for i in period if i.severity is Severity.P1)
    p2 = sum(1 for i in period if i.severity is Severity.P2)
    criteria: list[Criterion] = []
    if following is not None:
        if ungoverned and level_change is not None:
            actual = (
                f"unproven: level set in {level_change.commit[:12]} without a trusted signature"
            )
        elif weeks is None:
            actual = "unknown (no level change in Git and trustMaturity.since not set)"
        else:
            actual = f"{weeks:.1f}"
        criteria.append(
            Criterion(
                "weeks at level",
                f"≥ {following.min_weeks}",
                actual,
                weeks is not None and weeks >= following.min_weeks,
            )
        )
        if following.max_incident_rate is not None:
            criteria.append(_rate(following.max_incident_rate, attributable, deployed, deployments))
        if following.max_p1 is not None:
            criteria.append(
                Criterion("P1 incidents", f"≤ {following.max_p1}", str(p1), p1 <= following.max_p1)
            )
        if following.max_p2 is not None:
            criteria.append(
                Criterion("P2 incidents", f"≤ {following.max_p2}", str(p2), p2 <= following.max_p2)
            )
        if following.p1p2_free_weeks is not None:
            criteria.append(_p1p2_free(repo, now, following.p1p2_free_weeks))
    return MaturityReport(
        level=fleet.maturity_level,
        mode=current.mode if current else "",
        next_level=following.level if following else None,
        next_mode=following.mode if following else "",
        weeks_at_level=weeks,
        criteria=tuple(criteria),
        window_start=start,
        window_end=now,
        since_source=source,
        level_change=level_change,
        deployments=deployed,
        incidents=attributable,
        unattributed=unattributed,
        history_known=deployments is not None,
    )


def _rate(
    limit: float,
    incidents: Sequence[Incident],
    deployed: Sequence[Deployment],
    history: Sequence[Deployment] | None,
) -> Criterion:
    required = f"≤ {limit:.1%}"
    if history is None:
        return Criterion("incident rate", required, "unknown: no deployment history", False)
    if not deployed:
        return Criterion("incident rate", required, "no deployments in the window", False)
    rate = len(incidents) / len(deployed)
    return Criterion(
        "incident rate",
        required,
        f"{rate:.1%} ({len(incidents)} incidents / {len(deployed)} deployments)",
        rate <= limit,
    )


def _p1p2_free(repo: FleetRepo, now: datetime, weeks_required: int) -> Criterion:
    last = max(
        (i.opened_at for i in repo.incidents.values() if i.severity in (Severity.P1, Severity.P2)),
        default=None,
    )
    free = (now - last) / timedelta(weeks=1) if last else None
    return Criterion(
        "weeks without P1/P2",
        f"≥ {weeks_required}",
        "never had one" if free is None else f"{free:.1f}",
        free is None or free >= weeks_required,
    )
