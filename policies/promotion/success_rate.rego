package eucora.promotion

import data.eucora.lib
import rego.v1

min_rate := input.gates.minSuccessRate

min_devices := object.get(input.gates, "minDevices", 0)

# at least one device must have reported, whatever minDevices says
required_devices := max([min_devices, 1])

telemetry := input.telemetry

# METADATA
# title: Enough devices reported
# description: >-
#   The success rate only counts once at least `minDevices` devices (and at least one) of
#   the current ring reported a final install result (installed or failed).
# custom:
#   id: min-devices
#   waits: true
deny contains {"id": "min-devices", "msg": msg} if {
	from != null
	min_rate != null
	telemetry.reporting < required_devices
	msg := sprintf(
		"%s: %d of %d devices required in %s reported an install result",
		[intent, telemetry.reporting, required_devices, from],
	)
}

# METADATA
# title: Minimum install success rate
# description: >-
#   The install success rate in the current ring must reach the target ring's
#   `minSuccessRate` (default 97 % up to pilot, 99 % for broad and global).
# custom:
#   id: min-success-rate
deny contains {"id": "min-success-rate", "msg": msg} if {
	from != null
	min_rate != null
	telemetry.reporting >= required_devices
	telemetry.successRate < min_rate
	msg := sprintf(
		"%s: %s success %s < %s required for %s over %d devices",
		[intent, from, lib.pct(telemetry.successRate), lib.pct(min_rate), to, telemetry.reporting],
	)
}

# METADATA
# title: Success rate close to the minimum
# description: Warns when the success rate passes the gate by less than one percentage point.
# custom:
#   id: success-rate-marginal
warn contains {"id": "success-rate-marginal", "msg": msg} if {
	from != null
	min_rate != null
	telemetry.reporting >= required_devices
	telemetry.successRate >= min_rate
	telemetry.successRate < min_rate + 0.01
	msg := sprintf(
		"%s: %s success %s is within one point of the %s minimum for %s",
		[intent, from, lib.pct(telemetry.successRate), lib.pct(min_rate), to],
	)
}
