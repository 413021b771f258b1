"""Adoption: an intent taking over an object someone made by hand, never silently.

Part of the plan step, before an app's writes are planned. An intent's app that has no
managed object yet is checked against the provider's unmanaged objects:

* with ``spec.adopt`` naming one (by id, ``{name: …}``, or for Jamf ``{package, policy}``)
  that the snapshot holds unmanaged: an ``adopt`` write that stamps the ownership marker
  (with the differences between the object and Git as its reason), and from then on the
  usual writes against that object: the adopted object is planned as the intent's own;
* with ``spec.adopt`` naming one the tenant does not hold unmanaged: a blocking
  ``look-alike`` finding saying so, and nothing written for that app;
* without ``adopt``, an unmanaged object of the same name: a blocking ``look-alike``
  finding that says how to adopt it, instead of a duplicate (Intune) or a conflict loop
  (Jamf Pro), and nothing written for that app.

The ``adopt`` block is part of the intent's digest, so adding it is a change of the
intent like any other: it takes effect only through a revision the trust model accepts
and after the intent's gate, as every write does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from reconciler.domain.planning.plan._actions import Action, ActionKind
from reconciler.domain.planning.plan._apps import property_drift
from reconciler.domain.tenant import DesiredApp, ObservedApp


@dataclass(frozen=True, slots=True)
class Adoption:
    """What adoption decided for one app: an object to take over (``adopt`` and the
    observed object to plan against) or a blocking finding (``finding``)."""

    adopt: Action | None = None
    observed: ObservedApp | None = None
    finding: Action | None = None


def _names(app: DesiredApp) -> set[str]:
    names = {app.display_name.casefold()}
    package_name = app.properties.get("packageName")
    if package_name:
        names.add(str(package_name).casefold())
    return names


def _wanted(spec: Any, unmanaged: Sequence[ObservedApp]) -> tuple[ObservedApp | None, str, str]:
    """The object ``spec`` names, how it was named, and the policy id it names if any."""
    policy = ""
    if isinstance(spec, Mapping):
        policy = str(spec.get("policy") or "")
        if spec.get("package") is not None:
            wanted = str(spec["package"])
            return next((o for o in unmanaged if o.id == wanted), None), f"id {wanted}", policy
        name = str(spec.get("name") or "")
        found = [o for o in unmanaged if o.display_name.casefold() == name.casefold()]
        return (found[0] if len(found) == 1 else None), f"name {name!r}", policy
    wanted = str(spec)
    return next((o for o in unmanaged if o.id == wanted), None), f"id {wanted}", policy


def differences(app: DesiredApp, observed: ObservedApp) -> list[str]:
    """Git against the object, in words: name, version and owned properties."""
    found = []
    if observed.display_name != app.display_name:
        found.append(f"name {observed.display_name!r} → {app.display_name!r}")
    if observed.version and observed.version != app.version:
        found.append(f"version {observed.version!r} → {app.version!r}")
    found += [
        f"{key} {_short(seen)} → {_short(want)}"
        for key, seen, want in property_drift(app, observed)
    ]
    return found


def plan_adoption(
    app: DesiredApp, adopt: Mapping[str, Any], unmanaged: Sequence[ObservedApp]
) -> Adoption:
    """Adoption for an app with no managed object (see the module's rules)."""
    provider = app.provider
    lookalikes = [o for o in unmanaged if o.display_name.casefold() in _names(app)]
    if provider in adopt:
        target, named, policy = _wanted(adopt[provider], unmanaged)
        if target is None:
            return Adoption(
                finding=Action(
                    ActionKind.LOOK_ALIKE, app.intent,
                    f"adopt names {provider} object {named}, which the tenant does not hold "
                    "without an ownership marker; fix spec.adopt.{provider}",
                    app.platform,
                )
            )  # fmt: skip
        changes = differences(app, target)
        reason = (
            f"take over {provider} {target.display_name!r} ({target.id}) made outside EUCORA: "
            + ("; ".join(changes) if changes else "no differences to Git")
        )
        extra = {"policy": policy} if policy else {}
        action = Action(
            ActionKind.ADOPT_APP, app.intent, reason, app.platform,
            app_id=target.id, app=app, adopt=extra,
        )  # fmt: skip
        return Adoption(adopt=action, observed=target)
    if lookalikes:
        found = lookalikes[0]
        how = (
            f'adopt: {{{provider}: {{package: "{found.id}"}}}}'
            if provider == "jamf"
            else f'adopt: {{{provider}: "{found.id}"}}'
        )
        return Adoption(
            finding=Action(
                ActionKind.LOOK_ALIKE, app.intent,
                f"{provider} already holds {found.display_name!r} ({found.id}) without the "
                f"ownership marker: EUCORA will not create a second one; to take it over add "
                f"'{how}' to the intent's spec (the plan then shows the differences), or "
                "rename the app",
                app.platform, app_id=found.id,
            )
        )  # fmt: skip
    return Adoption()


def adopted_view(app: DesiredApp, observed: ObservedApp) -> ObservedApp:
    """The object as it is once the adopt write ran: the intent's marker and properties
    on it, Git's installer still to upload (the hand-made content is not Git's), its
    hand-made assignments still in place until the ring assignments replace them."""
    return replace(observed, marker=app.marker, properties=app.properties, content_ready=False)


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 40 else text[:37] + "…"
