"""What is neutral in rendering an intent for a tenant: its display name and the files its
detection runs.

Sits in the evaluate step. Each provider renders an intent's package into its MDM's own
properties (``reconciler.connectors.<provider>.render``, chosen through
``reconciler.connectors.registry``); the domain only knows which scripts an intent's
detection names (they are read from the committed tree and hashed into its digest) and
how the app is named.
"""

from __future__ import annotations

from reconciler.domain.models import DeploymentIntent


class MissingScriptError(LookupError):
    """A detection script the intent names was not supplied to the renderer."""


def display_name(intent: DeploymentIntent) -> str:
    return f"{intent.app.name} {intent.app.version}"


def detection_scripts(intent: DeploymentIntent) -> tuple[str, ...]:
    """Repo-relative paths of the scripts an intent's detection rules run."""
    if intent.windows is None or intent.windows.detection.get("type") != "script":
        return ()
    return (str(intent.windows.detection["script"]),)
