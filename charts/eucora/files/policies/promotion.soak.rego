package eucora.promotion

import data.eucora.lib
import rego.v1

soak_seconds := input.gates.soakHours * 3600

# METADATA
# title: Soak time in the current ring
# description: The intent must have spent at least the target ring's `soakHours` in its current ring.
# custom:
#   id: soak-time
#   waits: true
deny contains {"id": "soak-time", "msg": msg} if {
	from != null
	input.gates.soakHours != null
	is_number(input.promotion.enteredFromAt)
	elapsed := input.now - input.promotion.enteredFromAt
	elapsed < soak_seconds
	msg := sprintf(
		"%s: %s in %s < %s soak required before %s",
		[intent, lib.hours(elapsed), from, lib.hours(soak_seconds), to],
	)
}

deny contains {"id": "soak-time", "msg": msg} if {
	from != null
	input.gates.soakHours != null
	not is_number(input.promotion.enteredFromAt)
	msg := sprintf("%s: time of entering %s is unknown; soak cannot be proven", [intent, from])
}
