"""Trust maturity: is the fleet ready to move to the next level, and what blocks it?

Levels 0–4 are defined by the active risk model (minimum weeks at the previous level,
maximum incident rate, P1/P2 limits, P1/P2-free weeks). The evaluation only reports
readiness; moving up is a reviewed change of ``spec.trustMaturity.level`` in Git.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from reconciler.domain.models import FleetRepo, Severity


@dataclass(frozen=True, slots=True)
class Criterion:
    name: str
    required: str
    actual: str
    met: bool


@dataclass(frozen=True, slots=True)
class MaturityReport:
    level: int
    mode: str
    next_level: int | None
    next_mode: str
    weeks_at_level: float | None
    deployments: int
    incidents: int
    criteria: tuple[Criterion, ...]

    @property
    def ready(self) -> bool:
        return self.next_level is not None and all(c.met for c in self.criteria)

    @property
    def blocking(self) -> tuple[Criterion, ...]:
        return tuple(c for c in self.criteria if not c.met)


def assess_maturity(repo: FleetRepo, now: datetime) -> MaturityReport:
    fleet, model = repo.fleet, repo.risk_model
    if fleet is None or model is None:
        raise ValueError("maturity needs a FleetConfig and its active risk model")
    current = model.maturity(fleet.maturity_level)
    following = model.maturity(fleet.maturity_level + 1)
    since = (
        datetime.combine(fleet.maturity_since, datetime.min.time(), tzinfo=now.tzinfo)
        if fleet.maturity_since
        else None
    )
    weeks = (now - since) / timedelta(weeks=1) if since else None
    period = [i for i in repo.incidents.values() if since is None or i.opened_at >= since]
    deployments = len(repo.intents)
    p1 = sum(1 for i in period if i.severity is Severity.P1)
    p2 = sum(1 for i in period if i.severity is Severity.P2)
    rate = len(period) / deployments if deployments else 0.0
    criteria: list[Criterion] = []
    if following is not None:
        criteria.append(
            Criterion(
                "weeks at level",
                f"≥ {following.min_weeks}",
                "unknown (trustMaturity.since not set)" if weeks is None else f"{weeks:.1f}",
                weeks is not None and weeks >= following.min_weeks,
            )
        )
        if following.max_incident_rate is not None:
            criteria.append(
                Criterion(
                    "incident rate",
                    f"≤ {following.max_incident_rate:.1%}",
                    f"{rate:.1%} ({len(period)} incidents / {deployments} deployments)",
                    rate <= following.max_incident_rate,
                )
            )
        if following.max_p1 is not None:
            criteria.append(
                Criterion("P1 incidents", f"≤ {following.max_p1}", str(p1), p1 <= following.max_p1)
            )
        if following.max_p2 is not None:
            criteria.append(
                Criterion("P2 incidents", f"≤ {following.max_p2}", str(p2), p2 <= following.max_p2)
            )
        if following.p1p2_free_weeks is not None:
            last = max(
                (i.opened_at for i in repo.incidents.values() if i.severity.value in ("P1", "P2")),
                default=None,
            )
            free = (now - last) / timedelta(weeks=1) if last else None
            criteria.append(
                Criterion(
                    "weeks without P1/P2",
                    f"≥ {following.p1p2_free_weeks}",
                    "never had one" if free is None else f"{free:.1f}",
                    free is None or free >= following.p1p2_free_weeks,
                )
            )
    return MaturityReport(
        level=fleet.maturity_level,
        mode=current.mode if current else "",
        next_level=following.level if following else None,
        next_mode=following.mode if following else "",
        weeks_at_level=weeks,
        deployments=deployments,
        incidents=len(period),
        criteria=tuple(criteria),
    )
