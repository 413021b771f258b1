package eucora.promotion

import data.eucora.lib
import rego.v1

rollback := input.rollback

# from the first CAB ring on, the way back must be proven: the rings before it (lab,
# canary) are where a rollback is exercised
rollback_required if lib.ring_index(to) >= lib.ring_index(input.cab.firstRing)

intent_platforms contains platform if some platform, _ in input.intent.packages

rollback_missing contains sprintf("superseded %s is not in the %s tenant", [rollback.supersedes, platform]) if {
	rollback.supersedes != null
	some platform in intent_platforms
	not rollback.superseded[platform].present
}

rollback_missing contains sprintf("superseded %s has no assignable content on %s", [rollback.supersedes, platform]) if {
	rollback.supersedes != null
	some platform in intent_platforms
	rollback.superseded[platform].present
	not rollback.superseded[platform].assignable
}

rollback_missing contains sprintf("no uninstall command or policy on %s", [platform]) if {
	some platform in intent_platforms
	not rollback.uninstall[platform]
}

rollback_missing contains "no rollback of this build has succeeded in a ring before the first CAB ring" if {
	rollback.onFailure == "rollback"
	not rollback_exercised
}

rollback_exercised if rollback.validated.devices >= 1

# METADATA
# title: Rollback validated
# description: >-
#   Before leaving the rings ahead of `cab.firstRing` (entering it or any ring after it)
#   the way back must exist and have been exercised: the superseded version is still present and assignable, the uninstall
#   command or policy exists on each platform, and with `rollout.onFailure: rollback` a
#   rollback of the build has succeeded on at least one device in a ring before the first
#   CAB ring. One deny per missing piece.
# custom:
#   id: rollback-validated
deny contains {"id": "rollback-validated", "msg": msg} if {
	from != null
	rollback_required
	some missing in rollback_missing
	msg := concat("", [sprintf("%s: %s needs a validated rollback: ", [intent, to]), missing])
}
