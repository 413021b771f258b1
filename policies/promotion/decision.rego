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

# built-in deny and warn plus what repo policies add in package eucora.custom.promotion
decision := lib.decision(
	deny | {v | some v in data.eucora.custom.promotion.deny},
	warn | {v | some v in data.eucora.custom.promotion.warn},
)

intent := input.intent.name

required_sections := {"now", "intent", "rings", "promotion", "gates", "telemetry", "incidents", "risk", "cab", "exceptions", "freezeWindows", "compliance", "rollback"}

# METADATA
# title: Complete input
# description: >-
#   Fails closed: an input document that lacks a section the decision depends on is denied
#   instead of passing for want of data.
# custom:
#   id: input-incomplete
deny contains violation if some violation in lib.input_incomplete(required_sections)

from := input.promotion.from

to := input.promotion.to
