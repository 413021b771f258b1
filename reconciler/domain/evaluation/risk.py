"""Risk engine: scores an intent under a risk model, explaining every point.

score = 100 × Σ weightᵢ × valueᵢ, two decimals. Each factor's value comes from the first of
its rules whose conditions hold over the intent's facts (:mod:`.facts`), else its default;
an intent may override a factor's value with a justification. Deterministic: same intent,
model, repo and ``now`` give the same score. The model is data — changing the model file
changes scores with no code change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from reconciler.domain.documents.models import DeploymentIntent, FleetRepo, RiskModel
from reconciler.domain.evaluation.blast_radius import Classification, classify
from reconciler.domain.evaluation.facts import derived_facts, describe, holds, lookup


@dataclass(frozen=True, slots=True)
class FactorScore:
    name: str
    weight: float
    value: float
    contribution: float
    source: str
    reason: str


@dataclass(frozen=True, slots=True)
class RiskAssessment:
    intent: str
    model: str
    score: float
    factors: tuple[FactorScore, ...]
    classification: Classification

    def top(self, n: int = 3) -> tuple[FactorScore, ...]:
        return tuple(sorted(self.factors, key=lambda f: -f.contribution)[:n])


def assess_risk(
    intent: DeploymentIntent, model: RiskModel, repo: FleetRepo, now: datetime
) -> RiskAssessment:
    classification = classify(intent, model)
    derived = derived_facts(intent, repo, classification.effective, now)
    overrides = {o.factor: o for o in intent.risk_overrides}
    factors = []
    for factor in model.factors:
        override = overrides.get(factor.name)
        if override is not None:
            value, source, reason = (
                override.value,
                "override (spec.riskOverrides)",
                override.justification,
            )
        else:
            value, source, reason = factor.default, "default", "no rule matched"
            for index, rule in enumerate(factor.rules, 1):
                if all(holds(lookup(p, intent, derived), c) for p, c in rule.when.items()):
                    value = rule.value
                    source = f"rule {index}: {describe(rule.when)}"
                    reason = rule.reason or describe(rule.when)
                    break
        factors.append(
            FactorScore(
                name=factor.name,
                weight=factor.weight,
                value=value,
                contribution=round(100 * factor.weight * value, 2),
                source=source,
                reason=reason,
            )
        )
    score = round(100 * sum(f.weight * f.value for f in factors), 2)
    return RiskAssessment(intent.name, model.name, score, tuple(factors), classification)
