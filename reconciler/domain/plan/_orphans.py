"""Objects no intent owns: unmanaged look-alikes are reported and never touched; a managed
object whose intent left Git is deleted only with ``prune: true`` (never while its
CAB-governed retirement waits for approval)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from reconciler.domain.models import DeploymentIntent, FleetConfig
from reconciler.domain.plan._actions import Action, ActionKind
from reconciler.domain.tenant import DesiredApp, TenantSnapshot


def orphans(
    fleet: FleetConfig,
    intents: Mapping[str, DeploymentIntent],
    desired: Mapping[str, Sequence[DesiredApp]],
    snapshots: Mapping[str, TenantSnapshot],
    protected: frozenset[str] = frozenset(),
) -> tuple[Action, ...]:
    """Reports (and prunes) of what each provider's snapshot holds that no intent wants."""
    reports: list[Action] = []
    for provider, snapshot in sorted(snapshots.items(), key=lambda i: (i[1].platform, i[0])):
        platform = snapshot.platform
        names = {
            a.display_name: a.intent
            for apps in desired.values()
            for a in apps
            if a.platform is platform and a.provider == provider
        }
        for observed in sorted(snapshot.apps, key=lambda a: a.id):
            marker = observed.marker
            if marker is None:
                if observed.display_name in names:
                    reports.append(
                        Action(
                            ActionKind.REPORT_ORPHAN,
                            names[observed.display_name],
                            f"unmanaged {observed.display_name!r} ({observed.id}) has no "
                            "ownership marker; not touched",
                            platform,
                            app_id=observed.id,
                            provider=provider,
                        )
                    )
                continue
            wanted = marker.intent in intents and any(
                a.platform is platform and a.provider == provider
                for a in desired.get(marker.intent, ())
            )
            if wanted:
                continue
            if marker.intent in protected:
                reports.append(
                    Action(
                        ActionKind.REPORT_ORPHAN, marker.intent,
                        f"managed {observed.display_name!r} ({observed.id}) belongs to a "
                        "CAB-governed intent removed from Git; kept until its retirement has "
                        "a governance approval", platform, app_id=observed.id,
                        provider=provider,
                    )
                )  # fmt: skip
            elif fleet.prune:
                reports.append(
                    Action(
                        ActionKind.DELETE_APP, marker.intent,
                        "intent removed from Git; prune is on", platform, app_id=observed.id,
                        provider=provider,
                    )
                )  # fmt: skip
            else:
                reports.append(
                    Action(
                        ActionKind.REPORT_ORPHAN, marker.intent,
                        f"managed {observed.display_name!r} ({observed.id}) belongs to no intent "
                        "in Git; set prune: true in FleetConfig to remove it", platform,
                        app_id=observed.id, provider=provider,
                    )
                )  # fmt: skip
    return tuple(reports)
