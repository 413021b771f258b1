package eucora.promotion

import data.eucora.lib
import rego.v1

# METADATA
# title: No jumping rings
# description: An intent enters the first ring first and then moves exactly one ring at a time.
# custom:
#   id: ring-sequence
deny contains {"id": "ring-sequence", "msg": msg} if {
	from == null
	to != input.rings[0]
	msg := sprintf("%s: must enter %s first, not %s", [intent, input.rings[0], to])
}

deny contains {"id": "ring-sequence", "msg": msg} if {
	from != null
	lib.ring_index(to) != lib.ring_index(from) + 1
	msg := sprintf("%s: cannot jump from %s to %s", [intent, from, to])
}

deny contains {"id": "ring-sequence", "msg": msg} if {
	not lib.ring_index(to)
	msg := sprintf("%s: %s is not a ring of the fleet", [intent, to])
}

# METADATA
# title: Not beyond rollout.until
# description: An intent never enters a ring after the last ring its rollout names.
# custom:
#   id: beyond-until
deny contains {"id": "beyond-until", "msg": msg} if {
	lib.ring_index(to) > lib.ring_index(input.intent.until)
	msg := sprintf("%s: %s is beyond rollout.until %s", [intent, to, input.intent.until])
}
