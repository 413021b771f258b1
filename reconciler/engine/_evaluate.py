"""The evaluate step: governance (risk, CAB, exceptions) and desired apps per intent.

After load (the governed documents in force are resolved), before observe. Detection
scripts come from the pass's package store (the commit tree); the work itself is
:func:`~reconciler.domain.governance.evaluate_governance` and
:func:`~reconciler.domain.render.desired_apps`.
"""

from __future__ import annotations

from reconciler.connectors.registry import desired_apps
from reconciler.domain.errors import PackageError
from reconciler.domain.governance import evaluate_governance
from reconciler.domain.models import DeploymentIntent, FleetConfig
from reconciler.domain.ports import PackageStore
from reconciler.domain.render import MissingScriptError, detection_scripts
from reconciler.domain.tenant import DesiredApp
from reconciler.engine._context import PassContext
from reconciler.engine._records import EvaluatedIntent
from reconciler.engine._trusted import honoured_supersedes


async def evaluate(ctx: PassContext) -> None:
    """Every intent evaluated; the ``supersedes`` its governance honours."""
    ctx.evaluated = evaluated_intents(ctx)
    governance = {name: item.governance for name, item in ctx.evaluated.items()}
    ctx.intents = honoured_supersedes(ctx.repo, governance, ctx.governance, ctx.now)


def evaluated_intents(ctx: PassContext) -> dict[str, EvaluatedIntent]:
    repo, tick = ctx.repo, ctx.ports.tick
    tick("evaluate", 0, len(repo.intents))
    result = {}
    for done, (name, intent) in enumerate(sorted(repo.intents.items()), start=1):
        governance = evaluate_governance(repo, name, ctx.governance, ctx.now)
        result[name] = EvaluatedIntent(
            intent, governance, _desired(intent, ctx.ports.packages, repo.fleet)
        )
        tick("evaluate", done, len(repo.intents))
    return result


def _desired(
    intent: DeploymentIntent, packages: PackageStore, fleet: FleetConfig | None
) -> tuple[DesiredApp, ...]:
    scripts = {}
    for script in detection_scripts(intent):
        try:
            scripts[script] = packages.script(script)
        except PackageError as exc:
            raise PackageError(f"{intent.source.file}: {exc.message}") from exc
    try:
        return desired_apps(intent, scripts, fleet)
    except MissingScriptError as exc:  # pragma: no cover - read above
        raise PackageError(str(exc)) from exc
