# METADATA
# title: Intent admission
# description: >-
#   Rules an intent must meet to be accepted at all, before any ring. A denied intent is
#   never written to a tenant. Repo policies may add rules in package `eucora.custom.admission`.
# scope: package
package eucora.admission

import data.eucora.lib
import rego.v1

# built-in deny and warn plus what repo policies add in package eucora.custom.admission
decision := lib.decision(
	deny | {v | some v in data.eucora.custom.admission.deny},
	warn | {v | some v in data.eucora.custom.admission.warn},
)

intent := input.intent.name

required_sections := {"now", "intent", "rings", "risk"}

# METADATA
# title: Complete input
# description: >-
#   Fails closed: an input document that lacks a section the decision depends on is denied
#   instead of passing for want of data.
# custom:
#   id: input-incomplete
deny contains violation if some violation in lib.input_incomplete(required_sections)

# METADATA
# title: Critical infrastructure promotes by hand past the second ring
# description: >-
#   CRITICAL_INFRASTRUCTURE intents may auto-promote at most into the fleet's second ring
#   (canary); beyond it, `rollout.autoPromote` must be false.
# custom:
#   id: critical-auto-promote
deny contains {"id": "critical-auto-promote", "msg": msg} if {
	input.risk.blastRadius == "CRITICAL_INFRASTRUCTURE"
	input.intent.autoPromote
	lib.ring_index(input.intent.until) > 1
	msg := sprintf(
		"%s: CRITICAL_INFRASTRUCTURE cannot auto-promote past %s (until: %s); set autoPromote: false",
		[intent, input.rings[1], input.intent.until],
	)
}

# METADATA
# title: Privileged installs are signed
# description: An install that runs as SYSTEM/root needs a code-signed installer.
# custom:
#   id: privileged-unsigned
deny contains {"id": "privileged-unsigned", "msg": msg} if {
	input.intent.privileged
	not input.intent.evidence.signed
	msg := sprintf("%s: privileged install needs a signed installer", [intent])
}

# METADATA
# title: Privileged installs have an SBOM
# description: An install that runs as SYSTEM/root needs a software bill of materials.
# custom:
#   id: privileged-no-sbom
deny contains {"id": "privileged-no-sbom", "msg": msg} if {
	input.intent.privileged
	not input.intent.evidence.sbom
	msg := sprintf("%s: privileged install needs an SBOM", [intent])
}

# METADATA
# title: Packages carry a SHA-256
# description: Every package names the SHA-256 of its file, so what is uploaded is what was reviewed.
# custom:
#   id: package-sha256
deny contains {"id": "package-sha256", "msg": msg} if {
	some platform, pkg in input.intent.packages
	pkg.sha256 == null
	msg := sprintf("%s: %s package has no sha256", [intent, platform])
}

# METADATA
# title: Stale vulnerability scan
# description: Warns when the vulnerability scan is older than 30 days, or missing.
# custom:
#   id: scan-stale
warn contains {"id": "scan-stale", "msg": msg} if {
	is_number(input.intent.evidence.scanAgeDays)
	input.intent.evidence.scanAgeDays > 30
	msg := sprintf("%s: vulnerability scan is %d days old", [intent, input.intent.evidence.scanAgeDays])
}

warn contains {"id": "scan-stale", "msg": msg} if {
	input.intent.evidence.scanAgeDays == null
	msg := sprintf("%s: no vulnerability scan evidence", [intent])
}
