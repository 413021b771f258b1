"""How one operator process runs: its peering group, its priority and its shard.

kopf peering is not leader election: operators that see a peer of the *same* priority
all pause, so replicas that should stand in for each other need distinct priorities.
Each process picks a random one unless ``EUCORA_PEERING_PRIORITY`` fixes it; the highest
live priority acts, the others pause until its keep-alive stops.

Sharding splits the work between operators that do run at the same time: by namespace
(``EUCORA_NAMESPACES``, kopf's ``namespaces=``) and by label selector on GitSources
(``EUCORA_LABEL_SELECTOR``). Materialized DeploymentIntents carry their source's labels,
so the same selector shards them too. Each shard is its own peering group
(``EUCORA_PEERING``): one ``ClusterKopfPeering`` object per shard.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass

import kopf

from reconciler.operator._materialize import GROUP

DEFAULT_PEERING = "eucora"
#: kopf's own default peering name, which means "not chosen by the caller"
_KOPF_DEFAULT_PEERING = "default"
SHARDED_PLURALS = ("gitsources", "deploymentintents")


@dataclass(frozen=True, slots=True)
class Runtime:
    peering: str
    priority: int | None
    namespaces: tuple[str, ...]
    label_selector: str | None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Runtime:
        priority = env.get("EUCORA_PEERING_PRIORITY", "").strip()
        namespaces = env.get("EUCORA_NAMESPACES", "").replace(",", " ").split()
        return cls(
            peering=env.get("EUCORA_PEERING", "").strip() or DEFAULT_PEERING,
            priority=int(priority) if priority else None,
            namespaces=tuple(namespaces),
            label_selector=env.get("EUCORA_LABEL_SELECTOR", "").strip() or None,
        )

    def apply(self, settings: kopf.OperatorSettings) -> None:
        """Settings kopf reads after the startup handlers, before watching anything."""
        if settings.peering.name == _KOPF_DEFAULT_PEERING:
            settings.peering.name = self.peering
        if not settings.peering.standalone:
            # Peering is required: without its object the operator waits instead of
            # running unpeered next to its replicas.
            settings.peering.mandatory = True
        # One cluster-wide peering object per group, also for namespace shards.
        settings.peering.clusterwide = True
        if settings.peering.priority == 0:  # not given on the command line
            settings.peering.priority = self.priority or random_priority()
        if self.label_selector:
            for plural in SHARDED_PLURALS:
                settings.watching.label_selectors[GROUP, plural] = self.label_selector


def random_priority() -> int:
    """Wide enough that two replicas practically never tie (a tie pauses both)."""
    return random.SystemRandom().randint(1, 2**31 - 1)
