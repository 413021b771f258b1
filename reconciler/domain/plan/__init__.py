"""Planning: what every intent wants in each tenant, against what the tenants hold.

The ``plan`` step of a reconcile pass, after the gates (:mod:`reconciler.domain.progress`)
have said which ring each intent is in. It computes the assignments every app should have,
diffs them and the app's properties against the snapshots, classifies each difference as a
planned change (Git or a ring moved) or drift (someone changed the tenant by hand), and
lists typed :class:`Action` s, each with its reason and the gate decision behind it.

Rules (DESIGN §3):

* an app is assigned (required) to the groups of every ring up to its current ring, and to
  nothing else;
* when an intent supersedes another, its rings are taken from the old version's
  assignments (no device gets both); a rollback gives them back and sets the failed version
  to uninstall on every ring it reached;
* drift on managed objects follows ``driftPolicy``: ``correct`` writes Git's version back,
  ``warn`` reports and never reverts a hand change, ``ignore`` skips it;
* unmanaged look-alikes (no marker) are reported and never touched; a managed object whose
  intent left Git is deleted only with ``prune: true``;
* a suspended intent is observed and reported, never written.

What was last written lives in :class:`Applied` records (the state store keeps them), so a
difference to them is drift and a difference between them and Git is a planned change.
Pure: no I/O. One module per job: ``_actions`` (the plan's records), ``_targets`` (ring
groups and desired assignments), ``_apps`` (one app against its tenant object: drift or
planned change), ``_orphans`` (objects no intent owns), ``_order`` (supersedes chains),
``_build`` (the step: all of them for every intent) and ``_touched`` (which intents a change
of files can affect, for PR checks).
"""

from reconciler.domain.plan._actions import (
    WRITES,
    Action,
    ActionKind,
    Applied,
    DriftItem,
    IntentPlan,
    Plan,
    Words,
)
from reconciler.domain.plan._apps import property_drift
from reconciler.domain.plan._build import build_plan
from reconciler.domain.plan._targets import (
    all_ring_groups,
    describe_targets,
    desired_assignments,
    ring_groups,
)
from reconciler.domain.plan._touched import intents_touched

__all__ = [
    "WRITES",
    "Action",
    "ActionKind",
    "Applied",
    "DriftItem",
    "IntentPlan",
    "Plan",
    "Words",
    "all_ring_groups",
    "build_plan",
    "describe_targets",
    "desired_assignments",
    "intents_touched",
    "property_drift",
    "ring_groups",
]
