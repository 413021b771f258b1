package eucora.promotion

import rego.v1

# METADATA
# title: Suspended intents never promote
# description: A suspended intent is observed and reported, never promoted.
# custom:
#   id: suspended
deny contains {"id": "suspended", "msg": msg} if {
	input.intent.suspend
	msg := sprintf("%s: rollout is suspended", [intent])
}

# METADATA
# title: Automatic promotion switched off
# description: >-
#   With `rollout.autoPromote: false` the intent holds at its current ring; the first ring is
#   still entered so that the rollout can start.
# custom:
#   id: auto-promote-disabled
deny contains {"id": "auto-promote-disabled", "msg": msg} if {
	not input.intent.autoPromote
	from != null
	msg := sprintf("%s: autoPromote is false; holding at %s", [intent, from])
}
