"""Apply order: supersedes chains, oldest version first (its assignments give way before
its successor's are set)."""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.domain.documents.models import DeploymentIntent


def supersedes_chains(intents: Mapping[str, DeploymentIntent]) -> tuple[tuple[str, ...], ...]:
    """Supersedes chains, oldest version first; intents outside any chain stand alone."""
    successors: dict[str, list[str]] = {}
    has_predecessor: set[str] = set()
    for name in sorted(intents):
        old = intents[name].rollout.supersedes
        if old is not None and old in intents and old != name:
            successors.setdefault(old, []).append(name)
            has_predecessor.add(name)
    chains: list[tuple[str, ...]] = []
    seen: set[str] = set()
    for root in sorted(intents):
        if root in has_predecessor or root in seen:
            continue
        chain, queue = [], [root]
        while queue:
            name = queue.pop(0)
            if name in seen:
                continue
            seen.add(name)
            chain.append(name)
            queue.extend(successors.get(name, []))
        chains.append(tuple(chain))
    chains.extend((name,) for name in sorted(intents) if name not in seen)  # cycles
    return tuple(chains)
