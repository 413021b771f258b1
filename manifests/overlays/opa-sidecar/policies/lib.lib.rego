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

# decision is the shape every EUCORA decision answers with. Each package passes its own
# `deny` and `warn` sets joined with those repo policies add in package
# `eucora.custom.<decision>` (a repo can add gates, never remove one). The custom sets are
# named statically by the caller: rego-cpp 1.5.2 misreads a variable key into `data`.
decision(deny, warn) := {
	"allow": count(deny) == 0,
	"deny": sorted(deny),
	"warn": sorted(warn),
}

# input_incomplete denies, failing closed, for each section of `required` the input lacks.
input_incomplete(required) := {{"id": "input-incomplete", "msg": msg} |
	some section in required
	not section in object.keys(input)
	msg := sprintf("policy input lacks %s", [section])
}
