"""A pass told to people: each intent's Events as notices, and the commit status of the
revision it rolled out.

The operator compares each intent's new status with the old one (its Events) and calls
:func:`tell_intent` per intent and :func:`tell_pass` once per pass. The standalone loop has
no status to compare with: :class:`StoreBasis` keeps each intent's event basis of the last
pass in the state store, so a restarted ``eucora reconcile`` does not tell again what it
told before.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from reconciler.engine import Event, IntentReport, PassResult, event_basis, intent_events
from reconciler.notify._deliver import Notifier
from reconciler.notify._notices import notices, rollout_status

BASIS_META = "notification_basis"


def tell_intent(
    notifier: Notifier, report: IntentReport, events: Sequence[Event], *, result: PassResult,
    source: str, fleet: str = "local",
) -> None:  # fmt: skip
    notifier.send(
        notices(report, events, revision=result.revision, source=source,
                at=result.at.isoformat(), dashboard_url=notifier.config.dashboard_url,
                fleet=fleet)
    )  # fmt: skip


def tell_pass(notifier: Notifier, result: PassResult) -> None:
    """The commit status of the revision this pass rolled out (not for a dry run)."""
    if result.dry_run:
        return
    notifier.commit_status(result.revision, rollout_status(result), notifier.config.dashboard_url)


class _Meta(Protocol):
    def meta(self, key: str) -> str | None: ...

    def set_meta(self, key: str, value: str) -> None: ...


class StoreBasis:
    """The standalone loop's memory of what it told: one event basis per intent."""

    def __init__(self, store: _Meta, notifier: Notifier, *, source: str) -> None:
        self.store, self.notifier, self.source = store, notifier, source

    def _load(self) -> dict[str, Any]:
        text = self.store.meta(BASIS_META)
        try:
            loaded = json.loads(text) if text else {}
        except ValueError:
            loaded = {}
        return loaded if isinstance(loaded, dict) else {}

    def after_pass(self, result: PassResult) -> None:
        if result.dry_run:
            return
        before: Mapping[str, Any] = self._load()
        basis = {}
        for report in result.intents:
            current = event_basis(report)
            events = intent_events(report, before.get(report.name) or {}, current)
            tell_intent(self.notifier, report, events, result=result, source=self.source)
            basis[report.name] = current
        tell_pass(self.notifier, result)
        self.store.set_meta(BASIS_META, json.dumps(basis, default=str))
