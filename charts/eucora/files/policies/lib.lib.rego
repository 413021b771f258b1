# METADATA
# title: Shared helpers
# description: Formatting and ring-order helpers used by the EUCORA policies.
# scope: package
package eucora.lib

import rego.v1

# pct formats a rate in [0,1] as a percentage with one decimal, e.g. "95.1%".
pct(rate) := sprintf("%.1f%%", [rate * 100])

# hours formats seconds as hours with one decimal, e.g. "20.5h".
hours(seconds) := sprintf("%.1fh", [seconds / 3600])

# ring_index is the position of a ring in the fleet's promotion order.
ring_index(name) := i if {
	some i, ring in input.rings
	ring == name
}

# sorted orders violations by id, then message, for stable output.
sorted(violations) := sort([v | some v in violations])
