package eucora.promotion

import data.eucora.lib
import rego.v1

# CAB approval is needed above the auto-approval threshold of the intent's class at the
# fleet's trust-maturity level, for every privileged install, and always for critical
# infrastructure — for rings at or after the fleet's first CAB ring.
cab_needed if input.risk.score > input.risk.autoApproveThreshold

cab_needed if input.intent.privileged

cab_needed if input.risk.blastRadius == "CRITICAL_INFRASTRUCTURE"

ring_needs_cab if {
	cab_needed
	lib.ring_index(to) >= lib.ring_index(input.cab.firstRing)
}

approvers_for_ring contains approval.approver if {
	some approval in input.cab.approvals
	to in approval.rings
}

roles_for_ring contains role if {
	some approval in input.cab.approvals
	to in approval.rings
	some role in approval.roles
}

missing_roles := {role | some role in input.cab.rolesRequired} - roles_for_ring

# METADATA
# title: CAB quorum for the target ring
# description: >-
#   When CAB approval is needed, at least `quorum` distinct CAB members must have a valid
#   (signed, digest-bound, unexpired) approval covering the target ring.
# custom:
#   id: cab-approval
deny contains {"id": "cab-approval", "msg": msg} if {
	ring_needs_cab
	count(approvers_for_ring) < input.cab.quorum
	msg := sprintf(
		"%s: %s needs CAB approval: %d of %d approvers (score %v, %s)",
		[intent, to, count(approvers_for_ring), input.cab.quorum, input.risk.score, input.risk.blastRadius],
	)
}

# METADATA
# title: CAB roles for the target ring
# description: The valid approvers of the target ring must together hold every role the class requires.
# custom:
#   id: cab-roles
deny contains {"id": "cab-roles", "msg": msg} if {
	ring_needs_cab
	count(missing_roles) > 0
	roles := concat(", ", sort([r | some r in missing_roles]))

	# concat, not sprintf("%s"): regopy 1.5.2 quotes a concat result passed to sprintf
	msg := concat("", [sprintf("%s: %s approval lacks CAB role(s) ", [intent, to]), roles])
}
