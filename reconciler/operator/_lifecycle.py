"""kopf handlers of the operator process itself: start-up, clean-up and the probes on
the liveness endpoint."""

from __future__ import annotations

from typing import Any

import kopf

from reconciler.connectors import observe_http
from reconciler.operator import dashboard
from reconciler.operator._metrics import record_http, serve
from reconciler.operator._state import OperatorState, Wiring


async def startup(
    settings: kopf.OperatorSettings, memo: kopf.Memo, wiring: Wiring, **_: Any
) -> None:
    settings.persistence.finalizer = "eucora.io/finalizer"
    # A deleted intent keeps its finalizer until its timer has exited; kopf looks again
    # after this many seconds (default 60) unless another event for it arrives first.
    settings.background.cancellation_polling = 2
    wiring.config.runtime.apply(settings)
    memo.state = state = OperatorState.create(wiring)
    if state.config.metrics_port is not None:
        serve(state.config.metrics_port)
    if state.config.dashboard is not None:
        runner = await dashboard.start(state.sources, state.config.dashboard)
        state.closers.append(runner.cleanup)
    state.closers.append(observe_http(record_http))


async def cleanup(memo: kopf.Memo, **_: Any) -> None:
    state: OperatorState = memo.state
    await state.close()


def peering_probe(settings: kopf.OperatorSettings, **_: Any) -> dict[str, Any]:
    """Shown on /healthz: which group this replica is in and with what priority."""
    if settings.peering.standalone:
        return {"standalone": True}
    return {"name": settings.peering.name, "priority": settings.peering.priority}


def sources_probe(memo: kopf.Memo, **_: Any) -> int:
    """Sources fetched by this replica since it started (0 on a standby)."""
    state: OperatorState = memo.state
    return sum(1 for service in state.sources.values() if service.last_fetch is not None)
