package eucora.promotion

import rego.v1

active_freeze contains window if {
	some window in input.freezeWindows
	window.start <= input.now
	input.now < window.end
	freeze_applies(window)
}

freeze_applies(window) if count(window.rings) == 0

freeze_applies(window) if to in window.rings

freeze_waived(window) if {
	some exception in input.exceptions
	window.name in exception.freezeWindows
	ring_covered(exception)
}

# METADATA
# title: No promotion in a freeze window
# description: >-
#   No promotion into a ring while a freeze window applies to it, unless a valid
#   CABException names the window.
# custom:
#   id: freeze-window
deny contains {"id": "freeze-window", "msg": msg} if {
	some window in active_freeze
	not freeze_waived(window)
	msg := sprintf("%s: %s is frozen by %s (%s)", [intent, to, window.name, window.reason])
}

# METADATA
# title: Freeze window ahead
# description: Warns when a freeze window for the target ring starts within 48 hours.
# custom:
#   id: freeze-window-soon
warn contains {"id": "freeze-window-soon", "msg": msg} if {
	some window in input.freezeWindows
	freeze_applies(window)
	window.start > input.now
	window.start - input.now < 48 * 3600
	msg := sprintf("%s: freeze window %s for %s starts within 48h", [intent, window.name, to])
}
