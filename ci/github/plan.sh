#!/usr/bin/env bash
# The "Validate and plan" step of the EUCORA GitHub Action (action.yml), also usable on its
# own: annotates findings, writes the comment body, the full plan and its JSON to
# $EUCORA_PLAN_DIR, and the exit codes to $GITHUB_OUTPUT. It never fails by itself: the
# Action's last step fails the job, after the comment is posted.
set -uo pipefail

fleet="${EUCORA_FLEET:-.}"
out="${EUCORA_PLAN_DIR:?EUCORA_PLAN_DIR is not set}"
mkdir -p "$out"

if [ "$(git -C "$fleet" rev-parse --is-shallow-repository 2>/dev/null)" = "true" ]; then
  echo "::warning title=shallow clone::approvals and the PR base need the whole history: use actions/checkout with fetch-depth: 0"
fi

args=()
[ -n "${EUCORA_SIGNERS:-}" ] && args+=(--signers "$EUCORA_SIGNERS")
[ -n "${EUCORA_TENANT:-}" ] && args+=(--tenant "$EUCORA_TENANT")
base="${EUCORA_BASE:-}"
if [ -z "$base" ] && [ -n "${GITHUB_BASE_REF:-}" ]; then
  base="origin/$GITHUB_BASE_REF"
fi
[ -n "$base" ] && args+=(--base "$base")
# shellcheck disable=SC2206  # extra-args is a list of options, split on purpose
[ -n "${EUCORA_EXTRA_ARGS:-}" ] && args+=(${EUCORA_EXTRA_ARGS})

eucora validate "$fleet" --format github
validate=$?

eucora plan "$fleet" "${args[@]}" --format markdown --max-chars "${EUCORA_MAX_CHARS:-60000}" \
  --full-plan-url "${EUCORA_RUN_URL:-}${EUCORA_RUN_URL:+#artifacts}" --save "$out" > "$out/plan.md"
plan=$?

if [ ! -s "$out/plan.md" ]; then
  {
    echo "<!-- eucora-plan -->"
    echo "### EUCORA plan"
    echo
    echo "❌ \`eucora plan\` failed with exit code $plan (see docs/cli.md); the job log says why."
    [ -n "${EUCORA_RUN_URL:-}" ] && echo && echo "[Job log]($EUCORA_RUN_URL)"
  } > "$out/plan.md"
fi

if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  cat "$out/plan.md" >> "$GITHUB_STEP_SUMMARY"
fi
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  echo "validate=$validate" >> "$GITHUB_OUTPUT"
  echo "plan=$plan" >> "$GITHUB_OUTPUT"
fi
echo "eucora validate: exit $validate; eucora plan: exit $plan"
exit 0
