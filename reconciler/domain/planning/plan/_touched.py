"""Which intents a change of files can affect (``eucora plan --base``)."""

from __future__ import annotations

from collections.abc import Iterable

from reconciler.domain.documents.models import DeploymentIntent, FleetRepo
from reconciler.domain.evaluation.render import detection_scripts


def intents_touched(repo: FleetRepo, files: Iterable[str]) -> set[str]:
    """Intents a change to ``files`` (repo-relative) can affect: the intent documents
    themselves, the intents named by changed approvals, exceptions and incidents, and every
    intent when the fleet config or a risk model changed."""
    changed = set(files)
    by_file: dict[str, set[str]] = {}
    for intent in repo.intents.values():
        by_file.setdefault(intent.source.file, set()).add(intent.name)
    for approval in repo.approvals.values():
        by_file.setdefault(approval.source.file, set()).add(approval.intent)
    for exception in repo.exceptions.values():
        by_file.setdefault(exception.source.file, set()).add(exception.intent)
    for incident in repo.incidents.values():
        by_file.setdefault(incident.source.file, set()).add(incident.intent)
    shared = [repo.fleet.source.file] if repo.fleet else []
    shared += [m.source.file for m in repo.risk_models.values()]
    if changed & set(shared):
        return set(repo.intents)
    touched: set[str] = set()
    for file in changed:
        touched |= by_file.get(file, set())
    for intent in repo.intents.values():
        for script in _referenced_files(intent):
            if script in changed:
                touched.add(intent.name)
    return touched & set(repo.intents)


def _referenced_files(intent: DeploymentIntent) -> list[str]:
    packages = [p.file for p in (intent.windows, intent.macos) if p is not None]
    return [*packages, *detection_scripts(intent)]
