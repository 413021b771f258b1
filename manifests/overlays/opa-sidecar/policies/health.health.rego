# METADATA
# title: Current-ring health
# description: >-
#   Decides whether an intent may stay where it is. A deny halts the rollout (condition
#   `Blocked`); with `rollout.onFailure: rollback` the engine also rolls it back. Repo
#   policies may add rules in package `eucora.custom.health`.
# scope: package
package eucora.health

import data.eucora.lib
import rego.v1

# built-in deny and warn plus what repo policies add in package eucora.custom.health
decision := lib.decision(
	deny | {v | some v in data.eucora.custom.health.deny},
	warn | {v | some v in data.eucora.custom.health.warn},
)

intent := input.intent.name

required_sections := {"now", "intent", "rings", "health", "telemetry", "incidents"}

# METADATA
# title: Complete input
# description: >-
#   Fails closed: an input document that lacks a section the decision depends on is denied
#   instead of passing for want of data.
# custom:
#   id: input-incomplete
deny contains violation if some violation in lib.input_incomplete(required_sections)

ring := input.health.ring

telemetry := input.telemetry

# METADATA
# title: P1 incident halts the rollout
# description: An open P1 incident attributed to the intent halts it in its current ring.
# custom:
#   id: open-p1
deny contains {"id": "open-p1", "msg": msg} if {
	some incident in input.incidents
	incident.open
	incident.severity == "P1"
	msg := sprintf("%s: open P1 incident %s in %s: %s", [intent, incident.name, ring, incident.title])
}

# METADATA
# title: Install success collapsed
# description: >-
#   The success rate in the current ring fell below `haltBelowSuccessRate` over at least
#   `minDevices` reporting devices: stop before more devices get the build.
# custom:
#   id: success-collapsed
deny contains {"id": "success-collapsed", "msg": msg} if {
	telemetry.reporting >= input.health.minDevices
	telemetry.reporting > 0
	telemetry.successRate < input.health.haltBelowSuccessRate
	msg := sprintf(
		"%s: %s success %s < %s halt threshold over %d devices",
		[intent, ring, lib.pct(telemetry.successRate), lib.pct(input.health.haltBelowSuccessRate), telemetry.reporting],
	)
}

# METADATA
# title: Open P2 incident
# description: An open P2 incident does not halt an intent where it is; it blocks its promotion.
# custom:
#   id: open-p2
warn contains {"id": "open-p2", "msg": msg} if {
	some incident in input.incidents
	incident.open
	incident.severity == "P2"
	msg := sprintf("%s: open P2 incident %s: %s", [intent, incident.name, incident.title])
}
