package eucora.promotion

import rego.v1

risk_waived if {
	some exception in input.exceptions
	exception.coversRisk
	ring_covered(exception)
}

ring_covered(exception) if count(exception.rings) == 0

ring_covered(exception) if to in exception.rings

# METADATA
# title: Risk above the exception threshold
# description: >-
#   A score above the risk model's exception threshold (default 75) needs a valid
#   CABException covering the risk for the target ring, on top of CAB approval.
# custom:
#   id: risk-threshold
deny contains {"id": "risk-threshold", "msg": msg} if {
	input.risk.score > input.risk.exceptionThreshold
	not risk_waived
	msg := sprintf(
		"%s: risk %v > %v needs a CABException covering %s",
		[intent, input.risk.score, input.risk.exceptionThreshold, to],
	)
}

# METADATA
# title: Promotion under a risk exception
# description: Reports that a valid exception carries the promotion past the risk threshold.
# custom:
#   id: risk-exception-used
warn contains {"id": "risk-exception-used", "msg": msg} if {
	input.risk.score > input.risk.exceptionThreshold
	some exception in input.exceptions
	exception.coversRisk
	ring_covered(exception)
	msg := sprintf("%s: risk %v proceeds into %s under exception %s", [intent, input.risk.score, to, exception.name])
}
