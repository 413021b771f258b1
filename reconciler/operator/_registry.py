"""The operator's kopf handlers, registered for one :class:`OperatorConfig`.

kopf fixes a timer's interval when the handler is registered, so the handlers are
registered from the config (and the startup handler is handed it) instead of being
decorated at import time: ``eucora operator run`` and the tests each build a registry;
importing :mod:`reconciler.operator` fills kopf's default one for ``kopf run -m``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import kopf

from reconciler.domain.errors import ConfigurationError
from reconciler.operator import _deploymentintents as intents
from reconciler.operator import _gitsources as sources
from reconciler.operator import _lifecycle as lifecycle
from reconciler.operator._config import OperatorConfig
from reconciler.operator._materialize import GROUP, VERSION
from reconciler.operator._state import Wiring

GITSOURCES, INTENTS = (GROUP, VERSION, "gitsources"), (GROUP, VERSION, "deploymentintents")


def register(registry: kopf.OperatorRegistry, wiring: Wiring) -> kopf.OperatorRegistry:
    """Register every handler of the operator in ``registry``."""
    config = wiring.config
    startup = functools.partial(lifecycle.startup, wiring=wiring)
    kopf.on.startup(registry=registry, id="startup")(startup)
    kopf.on.cleanup(registry=registry)(lifecycle.cleanup)
    kopf.on.probe(registry=registry, id="peering")(lifecycle.peering_probe)
    kopf.on.probe(registry=registry, id="sources")(lifecycle.sources_probe)
    kopf.timer(*GITSOURCES, registry=registry, interval=config.source_tick, initial_delay=0)(
        sources.source_tick
    )
    # optional: adds no finalizer (the intents go through their owner reference)
    kopf.on.delete(*GITSOURCES, registry=registry, optional=True)(sources.source_deleted)
    kopf.timer(*INTENTS, registry=registry, interval=config.intent_interval, initial_delay=0)(
        intents.intent_tick
    )
    kopf.on.field(*INTENTS, registry=registry, field="spec")(intents.intent_edited)
    return registry


def register_from_env(registry: kopf.OperatorRegistry, env: Mapping[str, str]) -> None:
    """Register with the config ``env`` gives; a bad setting fails the operator's start
    (and only that: importing the package for the CRDs or ``plan --cluster`` needs none)."""
    try:
        config = OperatorConfig.from_env(env)
    except ConfigurationError as error:
        problem = str(error)

        def refuse(**_: Any) -> None:
            raise kopf.PermanentError(problem)

        kopf.on.startup(registry=registry, id="startup")(refuse)
        return
    register(registry, Wiring(config))


def operator_registry(wiring: Wiring) -> kopf.OperatorRegistry:
    """A registry of its own, for ``kopf.operator(registry=...)``."""
    return register(kopf.OperatorRegistry(), wiring)
