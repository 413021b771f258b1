# METADATA
# title: CAB approval of a ring
# description: >-
#   Decides whether the valid CAB approvals of an intent let it enter ring
#   `promotion.to`. The reconciler computes the facts (which rings need CAB approval and
#   why, the quorum and roles of the intent's class, the approvals whose signature,
#   digest, expiry and separation of duties it verified, with the roles the trust root
#   gives their approvers); this package decides. The promotion gate includes this
#   decision's denies, and the reports (`eucora cab status`, approved rings, the `eucora
#   approve` lines still needed) read this same decision, so the two cannot disagree.
# scope: package
package eucora.cab

import data.eucora.lib
import rego.v1

# built-in only: repo policies add CAB rules of their own to eucora.custom.promotion, so that
# every reader of this decision (the gate, the reports, `eucora cab status`) sees the same one
decision := lib.decision(deny, set())

intent := input.intent.name

to := input.promotion.to

required_sections := {"intent", "promotion", "risk", "cab"}

# METADATA
# title: Complete input
# description: >-
#   Fails closed: an input document that lacks a section the decision depends on is denied
#   instead of passing for want of data.
# custom:
#   id: input-incomplete
deny contains violation if some violation in lib.input_incomplete(required_sections)

ring_needs_cab if to in input.cab.rings

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
#   When the target ring needs CAB approval, at least `quorum` distinct CAB members must
#   have a valid (signed, digest-bound, unexpired) approval covering it.
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
