"""Blast-radius classifier: may raise an intent's declared class, never lower it.

Rules come from the active risk model (`spec.classifier.rules`): keywords in the app's
name, publisher, category or description, categories, the privileged flag and the number
of target users. Every matching rule proposes its class; the highest of the declared and
proposed classes wins, and the result says which rules raised it.
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.domain.documents.models import (
    BlastRadius,
    ClassifierRule,
    DeploymentIntent,
    RiskModel,
)


@dataclass(frozen=True, slots=True)
class Classification:
    declared: BlastRadius
    effective: BlastRadius
    reasons: tuple[str, ...] = ()

    @property
    def raised(self) -> bool:
        return self.effective is not self.declared


def _matches(rule: ClassifierRule, intent: DeploymentIntent) -> str | None:
    """Why ``rule`` matches the intent, or None."""
    why = []
    if rule.keywords:
        text = " ".join(
            (intent.app.name, intent.app.publisher, intent.app.category, intent.app.description)
        ).lower()
        hit = next((k for k in rule.keywords if k in text), None)
        if hit is None:
            return None
        why.append(f"keyword {hit!r}")
    if rule.categories:
        if intent.app.category not in rule.categories:
            return None
        why.append(f"category {intent.app.category!r}")
    if rule.privileged is not None:
        if intent.privileged != rule.privileged:
            return None
        why.append("privileged install" if rule.privileged else "unprivileged install")
    if rule.min_target_users is not None:
        if intent.target_users < rule.min_target_users:
            return None
        why.append(f"{intent.target_users} users ≥ {rule.min_target_users}")
    if not why:
        return None
    return f"{rule.blast_radius.value}: {rule.reason} ({', '.join(why)})"


def classify(intent: DeploymentIntent, model: RiskModel) -> Classification:
    effective = intent.blast_radius
    reasons = []
    for rule in model.classifier:
        why = _matches(rule, intent)
        if why is None or rule.blast_radius.rank <= intent.blast_radius.rank:
            continue
        reasons.append(why)
        if rule.blast_radius.rank > effective.rank:
            effective = rule.blast_radius
    return Classification(intent.blast_radius, effective, tuple(reasons))
