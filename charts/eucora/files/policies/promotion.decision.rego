# METADATA
# title: Ring promotion
# description: >-
#   Decides whether an intent may enter its next ring. Every gate in this package adds
#   named `deny` (blocking) and `warn` (advisory) entries; repo policies may add their own
#   in package `eucora.custom.promotion` but cannot remove built-in ones.
# scope: package
package eucora.promotion

import data.eucora.lib
import rego.v1

# Repo policies add to these sets from package eucora.custom.promotion; they cannot remove
# anything the built-in rules put in.
all_deny contains violation if some violation in deny

all_deny contains violation if some violation in data.eucora.custom.promotion.deny

all_warn contains violation if some violation in warn

all_warn contains violation if some violation in data.eucora.custom.promotion.warn

decision := {
	"allow": count(all_deny) == 0,
	"deny": lib.sorted(all_deny),
	"warn": lib.sorted(all_warn),
}

intent := input.intent.name

required_sections := {"now", "intent", "rings", "promotion", "gates", "telemetry", "incidents", "risk", "cab", "exceptions", "freezeWindows", "compliance", "rollback"}

# METADATA
# title: Complete input
# description: >-
#   Fails closed: an input document that lacks a section the decision depends on is denied
#   instead of passing for want of data.
# custom:
#   id: input-incomplete
deny contains {"id": "input-incomplete", "msg": msg} if {
	some section in required_sections
	not section in object.keys(input)
	msg := sprintf("policy input lacks %s", [section])
}

from := input.promotion.from

to := input.promotion.to
