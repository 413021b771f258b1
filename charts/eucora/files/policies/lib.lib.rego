# METADATA
# title: Shared helpers
# description: Formatting and ring-order helpers used by the EUCORA policies.
# scope: package
package eucora.lib

import rego.v1

# pct formats a rate in [0,1] as a percentage with one decimal, e.g. "95.1%".
pct(rate) := sprintf("%s%%", [one_decimal(rate * 100)])

# hours formats seconds as hours with one decimal, e.g. "20.5h".
hours(seconds) := sprintf("%sh", [one_decimal(seconds / 3600)])

# one_decimal formats a non-negative number with exactly one decimal ("97.0", "95.1").
# Integer arithmetic and %d, because OPA's sprintf("%.1f") prints a whole number as
# "%!f(int64=97)" while rego-cpp prints "97.0": the same text on every engine.
one_decimal(x) := sprintf("%d.%d", [floor(tenths / 10), tenths % 10]) if {
	tenths := round(x * 10)
}

# ring_index is the position of a ring in the fleet's promotion order.
ring_index(name) := i if {
	some i, ring in input.rings
	ring == name
}

# sorted orders violations by id, then message, for stable output.
sorted(violations) := sort([v | some v in violations])
