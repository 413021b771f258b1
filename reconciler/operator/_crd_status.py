"""The status sections of the CRDs: what the operator writes back on each resource.

Sits beside :mod:`reconciler.operator.crds`, which adds these to the specs generated from
``schemas/``. Unlike the specs, a status has no fleet-repo schema: it is the codec's
(:mod:`reconciler.operator._status`) output, described here for ``kubectl explain`` and
the API server's pruning.
"""

from __future__ import annotations

from typing import Any


def _obj(description: str, properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "object", "description": description, "properties": properties, **extra}


def _str(description: str, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "description": description, **extra}


_CONDITIONS = {
    "type": "array",
    "description": "Current state as Kubernetes conditions; a transition time changes only "
    "when the status does.",
    "items": _obj(
        "One condition.",
        {
            "type": _str("Ready, Reconciling, Stalled, Drifted or Blocked (Fetched on sources)."),
            "status": _str("True, False or Unknown.", enum=["True", "False", "Unknown"]),
            "reason": _str("CamelCase reason."),
            "message": _str("Human-readable detail."),
            "observedGeneration": {
                "type": "integer",
                "description": "metadata.generation the condition was computed for.",
            },
            "lastTransitionTime": _str("When status last changed.", format="date-time"),
        },
        required=["type", "status"],
    ),
}

_INT = {"type": "integer"}
_STRINGS = {"type": "array", "items": {"type": "string"}}

GIT_SOURCE_STATUS = _obj(
    "What the operator last saw and applied from the source.",
    {
        "conditions": _CONDITIONS,
        "lastFetchedRevision": _str("Commit SHA of the last successful fetch."),
        "lastAppliedRevision": _str("Commit SHA whose intents were last materialized."),
        "observedGeneration": {"type": "integer", "description": "Last spec generation handled."},
        "intents": _obj(
            "Count of materialized DeploymentIntents by state.",
            {},
            additionalProperties={"type": "integer", "description": "Intents in this state."},
        ),
        "lastHandledReconcileAt": _str(
            "Value of the eucora.io/reconcile-requested-at annotation last acted on."
        ),
        "rings": {**_STRINGS, "description": "The fleet's rings in order, from the last pass."},
        "audit": _obj(
            "The end of the source's audit log after the last pass; checked against the log "
            "when the operator starts (eucora audit verify --expected-head).",
            {
                "head": _str("sha256 of the last record."),
                "records": {"type": "integer", "description": "Records in the log."},
            },
        ),
        "pendingGovernance": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Governed-document changes (FleetConfig, risk model, repo policies, "
            "incidents, retirements) that loosen the rules and wait for a governance approval; "
            "the last trusted versions apply meanwhile (eucora governance status).",
        },
    },
)


DEPLOYMENT_INTENT_STATUS = _obj(
    "Where the rollout stands, as the reconcile engine last computed it. The fields from "
    "ringEnteredAt to stateAsOf are the engine's record, read back by the next pass.",
    {
        "conditions": _CONDITIONS,
        "observedGeneration": {**_INT, "description": "Last spec generation handled."},
        "state": _str(
            "NotStarted, Progressing, Holding, Complete, Blocked, RolledBack or Suspended."
        ),
        "message": _str("Why the intent is in that state."),
        "governancePending": {
            **_STRINGS,
            "description": "Governance changes waiting for approval whose last trusted "
            "versions decide for this intent meanwhile (FleetConfig, risk model, repo "
            "policies, its incidents).",
        },
        "currentRing": _str("Ring the intent is assigned to now."),
        "ringEnteredAt": _str("When the current ring was entered.", format="date-time"),
        "reachedRings": {**_STRINGS, "description": "Rings the intent was assigned to."},
        "rolledBackDigest": _str("Spec digest that was rolled back (sticks until it changes)."),
        "ringHistory": {
            "type": "array",
            "description": "Rings entered, oldest first.",
            "items": _obj(
                "One ring entry.",
                {
                    "ring": _str("Ring name."),
                    "enteredAt": _str("When the ring was entered.", format="date-time"),
                    "decision": _str("Gate decision that let it in (admission, promotion)."),
                },
            ),
        },
        "risk": _obj(
            "Risk score and decision.",
            {
                "score": {"type": "number", "description": "Risk score 0-100."},
                "decision": _str("AUTO_APPROVE, CAB_REQUIRED or BLOCKED, per the risk model."),
                "blastRadius": _str("Effective blast radius class."),
                "autoApproveThreshold": {
                    "type": "number",
                    "description": "Score up to which no CAB approval is needed.",
                    "nullable": True,
                },
                "factors": {
                    "type": "array",
                    "description": "Every risk factor, the largest contribution first.",
                    "items": _obj(
                        "One factor.",
                        {
                            "factor": _str("Factor name."),
                            "weight": {"type": "number", "description": "Weight in the model."},
                            "value": {"type": "number", "description": "Factor value 0-1."},
                            "contribution": {
                                "type": "number",
                                "description": "Points it adds to the score.",
                            },
                            "reason": _str("Why it has that value."),
                        },
                    ),
                },
            },
        ),
        "approvals": _obj(
            "CAB approval state.",
            {
                "valid": {**_INT, "description": "Valid signed approvals."},
                "required": {**_INT, "description": "Approvals the quorum needs."},
                "rings": {**_STRINGS, "description": "Rings that need CAB approval."},
                "roles": {**_STRINGS, "description": "CAB roles the quorum needs."},
                "approvedRings": {**_STRINGS, "description": "Rings approved by a quorum."},
                "verdicts": {
                    "type": "array",
                    "description": "Each CABApproval for this intent and whether it counts.",
                    "items": _obj(
                        "One approval's verdict.",
                        {
                            "file": _str("Approval document in the fleet repo."),
                            "approver": _str("Approver principal."),
                            "role": _str("Role acted in.", nullable=True),
                            "rings": {**_STRINGS, "description": "Rings approved."},
                            "valid": {"type": "boolean", "description": "Whether it counts."},
                            "reason": _str("valid, or why not (unsigned, expired, ...)."),
                            "detail": _str("More on the reason."),
                            "expires": _str("When it expires.", format="date-time"),
                            "exception": _str("CABException it approves.", nullable=True),
                        },
                    ),
                },
            },
        ),
        "ringHealth": {
            "type": "array",
            "description": "Install results per ring up to until, against each ring's gate.",
            "items": _obj(
                "One ring.",
                {
                    "ring": _str("Ring name."),
                    "installed": {**_INT, "description": "Devices installed."},
                    "failed": {**_INT, "description": "Devices failed."},
                    "pending": {**_INT, "description": "Devices pending."},
                    "reporting": {**_INT, "description": "Devices with a result (the sample)."},
                    "successRate": {
                        "type": "number",
                        "nullable": True,
                        "description": "installed / reporting.",
                    },
                    "minSuccessRate": {
                        "type": "number",
                        "nullable": True,
                        "description": "The ring's promotion gate.",
                    },
                    "minDevices": {
                        **_INT,
                        "nullable": True,
                        "description": "Sample the gate needs.",
                    },
                    "haltBelowSuccessRate": {
                        "type": "number",
                        "nullable": True,
                        "description": "Health gate: halt below this.",
                    },
                    "verdict": _str("no-data, too-few-devices, below-gate or meets-gate."),
                },
            ),
        },
        "lastGate": _obj(
            "Last gate decision (admission, promotion or health).",
            {
                "decision": _str("admission, promotion or health."),
                "ring": _str("Ring the decision was about."),
                "allow": {"type": "boolean", "description": "Whether it was allowed."},
                "deny": {**_STRINGS, "description": "Deny reasons, as rule id: message."},
            },
        ),
        "drift": {
            "type": "array",
            "description": "Differences between Git and the tenant found on the last pass.",
            "items": _obj(
                "One drifted field.",
                {
                    "platform": _str("windows or macos."),
                    "field": _str("Path of the drifted field."),
                    "expected": _str("Value in Git."),
                    "actual": _str("Value in the tenant."),
                    "policy": _str("driftPolicy: correct, warn or ignore."),
                    "corrected": {"type": "boolean", "description": "Whether it was corrected."},
                },
            ),
        },
        "telemetry": _obj(
            "Install results in the current ring.",
            {
                "ring": _str("Ring counted."),
                "installed": {**_INT, "description": "Devices installed."},
                "failed": {**_INT, "description": "Devices failed."},
                "pending": {**_INT, "description": "Devices pending."},
            },
        ),
        "timeToCompliance": _obj(
            "Time to compliance of the ring the intent was last gated in.",
            {
                "ring": _str("Ring measured."),
                "percent": {**_INT, "description": "Targeted devices compliant in time, %."},
                "targeted": {**_INT, "description": "Devices targeted in the ring."},
                "compliant": {**_INT, "description": "Devices in the desired state in time."},
                "open": {**_INT, "description": "Devices whose window is still open."},
                "missed": {**_INT, "description": "Devices whose window closed short."},
                "classes": {
                    "type": "object",
                    "description": "Per connectivity class: compliant/targeted within target.",
                    "additionalProperties": {"type": "string"},
                },
            },
            nullable=True,
        ),
        "errors": {**_STRINGS, "description": "Writes that failed on the last pass."},
        "applied": {
            "type": "array",
            "description": "What was last written per platform: a difference from it is drift.",
            "items": _obj(
                "One platform's applied app.",
                {
                    "platform": _str("windows or macos."),
                    "digest": _str("Digest of the app properties written."),
                    "assignments": {
                        "type": "array",
                        "description": "Assignments written.",
                        "items": _obj(
                            "One assignment.",
                            {
                                "target": _str("group, exclusion, allDevices or allLicensedUsers."),
                                "groupId": _str("Group id, for group targets.", nullable=True),
                                "intent": _str("required, available or uninstall."),
                            },
                        ),
                    },
                },
            ),
        },
        "rollbackValidated": _obj(
            "The rollback of the intent's build seen to succeed before the first CAB ring.",
            {
                "build": _str("Build: sha256 of app, version and package hashes."),
                "intent": _str("Intent that was rolled back."),
                "ring": _str("Ring it was seen in."),
                "devices": {**_INT, "description": "Devices it was seen to succeed on."},
                "at": _str("When it was recorded.", format="date-time"),
            },
            nullable=True,
        ),
        "stateAsOf": _str("When the engine's record was written.", format="date-time"),
        "lastPass": _obj(
            "The pass this status comes from.",
            {
                "id": _str("Pass id."),
                "at": _str("When it ran.", format="date-time"),
                "revision": _str("Source revision it ran on."),
            },
        ),
        "lastAppliedRevision": _str("Source revision last applied to the tenants."),
    },
)
