package eucora.promotion

import rego.v1

# The CAB gate is decided once, in package eucora.cab: the promotion carries its denies,
# and the reports read the same decision for every ring that needs approval.
deny contains violation if some violation in data.eucora.cab.decision.deny
