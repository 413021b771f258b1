package eucora.promotion

import rego.v1

min_compliant_share := object.get(input.gates, "minCompliantShare", null)

compliance := input.compliance

ttc_applies if {
	from != null
	min_compliant_share != null
}

# the most the share can still reach: every device whose window is open complies in time
ttc_reachable := (compliance.compliant + compliance.open) / compliance.targeted

ttc_share := compliance.compliant / compliance.targeted

# a share as a percentage with at most one decimal; %v, not %f: a whole number computed
# here is an integer, which OPA's %f prints as %!f(int64=…)
ttc_pct(share) := sprintf("%v%%", [round(share * 1000) / 10])

ttc_summary := sprintf(
	"%s of %d targeted devices in %s reached the desired state within their connectivity target",
	[ttc_pct(ttc_share), compliance.targeted, from],
)

ttc_class_counts contains text if {
	some name, counts in compliance.classes
	text := sprintf("%s %d/%d", [name, counts.compliant, counts.targeted])
}

ttc_classes := concat(", ", sort(ttc_class_counts))

# METADATA
# title: Time to compliance
# description: >-
#   Of the devices targeted in the current ring, at least `minCompliantShare` must have
#   reached the desired state within their connectivity class's target since the ring was
#   entered (online 24 h, intermittent 72 h, air-gapped 7 days by default). Denies once the
#   windows that closed leave the share short for good.
# custom:
#   id: time-to-compliance
deny contains {"id": "time-to-compliance", "msg": msg} if {
	ttc_applies
	compliance.targeted > 0
	ttc_reachable < min_compliant_share
	# concat, not sprintf("%s"): regopy 1.5.2 quotes a concat result passed to sprintf
	msg := concat("", [
		sprintf(
			"%s: %s; %s required for %s cannot be reached: %d devices missed their window (",
			[intent, ttc_summary, ttc_pct(min_compliant_share), to, compliance.missed],
		),
		ttc_classes, ")",
	])
}

deny contains {"id": "time-to-compliance", "msg": msg} if {
	ttc_applies
	compliance.targeted == 0
	msg := sprintf("%s: no targeted devices observed in %s; time to compliance cannot be proven", [intent, from])
}

# METADATA
# title: Time-to-compliance window still open
# description: >-
#   The share of devices in the desired state is still short of `minCompliantShare`, but
#   enough devices are within their connectivity class's window to reach it: the promotion
#   waits.
# custom:
#   id: time-to-compliance-pending
#   waits: true
deny contains {"id": "time-to-compliance-pending", "msg": msg} if {
	ttc_applies
	compliance.targeted > 0
	ttc_share < min_compliant_share
	ttc_reachable >= min_compliant_share
	msg := concat("", [
		sprintf(
			"%s: waiting: %s, %s required for %s; %d devices still within their window (",
			[intent, ttc_summary, ttc_pct(min_compliant_share), to, compliance.open],
		),
		ttc_classes, ")",
	])
}
