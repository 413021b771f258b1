package eucora.promotion

import rego.v1

blocking_severities := {"P1", "P2"}

# METADATA
# title: No open P1/P2 incident
# description: An open (or investigating) P1 or P2 incident attributed to the intent blocks promotion.
# custom:
#   id: open-incident
deny contains {"id": "open-incident", "msg": msg} if {
	some incident in input.incidents
	incident.open
	incident.severity in blocking_severities
	msg := sprintf("%s: open %s incident %s: %s", [intent, incident.severity, incident.name, incident.title])
}

# METADATA
# title: Open lower-severity incident
# description: Open P3/P4 incidents do not block; they are reported as warnings.
# custom:
#   id: open-minor-incident
warn contains {"id": "open-minor-incident", "msg": msg} if {
	some incident in input.incidents
	incident.open
	not incident.severity in blocking_severities
	msg := sprintf("%s: open %s incident %s: %s", [intent, incident.severity, incident.name, incident.title])
}
