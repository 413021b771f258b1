"""``eucora demo``: the example fleet reconciled against the in-process sandbox, narrated.

Builds the example fleet repo as a git history, starts the sandbox, and runs passes in
simulated time (12 h apart) until the story is told and the fleet is steady:

1. 7-Zip 24.08 rolls through every ring, taking each ring over from 7-Zip 23.01;
2. a Chrome build that fails on 8 % of canary's hardware is held at canary by the gate;
3. a privileged admin tool waits at canary for CAB quorum, then proceeds to pilot after
   a signed approval commit;
4. an admin's hand-made "All Devices" assignment on 7-Zip is detected and reverted;
5. the same change on Zoom (``driftPolicy: warn``) is reported and left alone;
6. SAP GUI 8.00's installer fails on 60 % of lab machines (a missing prerequisite): the
   health gate halts it in lab;
7. the lab's Macs have moved to Intune (the fleet moves ring by ring): Rectangle 0.85 goes
   to them (provider ``intune-macos``: a macOSLobApp whose ``.pkg`` the reconciler
   encrypts), while 7-Zip reaches the other rings' Macs through Jamf Pro.

It ends with the summary table, two quiet passes and the audit log verified. The steps are
driven by what the passes report, not by a script of expected results.
"""

from __future__ import annotations

import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from reconciler.compose.connectors import close_all, sandbox_connectors
from reconciler.compose.engine import build_reconciler
from reconciler.connectors import RetryPolicy
from reconciler.connectors.registry import PROVIDERS, desired_apps
from reconciler.domain.loader import load_repo
from reconciler.domain.maturity import Deployment, MaturityReport, assess_maturity
from reconciler.domain.progress import Progress, StoredRing
from reconciler.domain.resources import data_dir
from reconciler.domain.trust import TRUST_ROOT_FILE, load_trust_root
from reconciler.engine import AuditLog, AuditVerification, PassResult, StateStore, verify_audit_log
from reconciler.gitops import (
    GitProvenance,
    build_example_repo,
    commit_as,
    open_local,
    remove_as,
)
from reconciler.policy import EmbeddedEngine, load_policy_set
from reconciler.sandbox import Sandbox

SEVEN_ZIP, OLD_ZIP = "7zip-24.08", "7zip-23.01"
BROWSER, ADMIN_TOOL, WARN_ONLY = "chrome-131.0.6778", "rdm-admin-2024.3", "zoom-6.2.10"
HALTED = "sap-gui-8.00"
MAC_ON_INTUNE = "rectangle-0.85"
#: rings whose Macs are enrolled in Intune rather than Jamf Pro
MACS_ON_INTUNE = {"lab": "intune"}
APPROVAL = "approvals/rdm-admin-2024.3-pilot-grace.kim.yaml"
GRACE = ("Grace Kim", "grace.kim@contoso.example")
DANA = ("Dana Lee", "dana.lee@contoso.example")
STEP_HOURS = 12.0
MAX_PASSES = 60

Narrate = Callable[[str, str], None]
#: called after each pass with its result and the state store (notifications, tests)
OnPass = Callable[[PassResult, StateStore], Awaitable[None]]


@dataclass(slots=True)
class DemoResult:
    repo: Path
    passes: int
    last: PassResult
    audit: AuditVerification
    quiet_writes: int
    told: list[str] = field(default_factory=list)
    maturity: MaturityReport | None = None


@dataclass(slots=True)
class _Story:
    """What has happened so far; each beat fires once."""

    told: set[str] = field(default_factory=set)
    drift_at: int | None = None
    approval_due: int | None = None
    break_browser: bool = False

    def once(self, beat: str) -> bool:
        if beat in self.told:
            return False
        self.told.add(beat)
        return True


async def run_demo(
    workdir: Path | None, narrate: Narrate, on_pass: OnPass | None = None
) -> DemoResult:
    if workdir is not None:
        return await _run(workdir, narrate, on_pass)
    with tempfile.TemporaryDirectory() as scratch:
        return await _run(Path(scratch), narrate, on_pass)


async def _run(root: Path, narrate: Narrate, on_pass: OnPass | None) -> DemoResult:
    examples = data_dir("examples")
    keys, signers = examples / "keys", examples / "keys" / "allowed_signers"
    repo = root / "fleet"
    build_example_repo(examples / "fleet-repo", repo, keys)
    approval = (repo / APPROVAL).read_text(encoding="utf-8")
    remove_as(repo, APPROVAL, f"{ADMIN_TOOL}: pilot approval pending CAB", DANA,
              date="2026-11-20T08:00:00+00:00")  # fmt: skip
    narrate("setup", f"fleet repo with signed history in {repo}")
    async with Sandbox(fleet=repo / "fleet.yaml", macos_mdm=MACS_ON_INTUNE) as sandbox:
        narrate(
            "setup",
            f"sandbox tenant at {sandbox.base_url}: {len(sandbox.devices)} devices "
            f"in rings {', '.join(r.name for r in sandbox.rings)}",
        )
        # every provider: the example names intune-macos for Rectangle besides the defaults
        connectors = sandbox_connectors(
            sandbox, retry=RetryPolicy(initial=0.01, maximum=0.1), providers=PROVIDERS
        )
        store = StateStore(root / ".eucora" / "state.db")
        audit = AuditLog(root / ".eucora" / "audit.jsonl", actor="eucora-demo")
        reconciler = build_reconciler(
            connectors=connectors,
            policy=EmbeddedEngine(load_policy_set()),
            store=store,
            audit=audit,
            clock=sandbox.now,
            signers=signers,
            trust=load_trust_root(keys / TRUST_ROOT_FILE),
        )
        # 7-Zip 23.01 has been on every ring for a month before the demo starts
        rings = tuple(r.name for r in sandbox.rings)
        since = sandbox.now() - timedelta(days=30)
        store.save_ring(
            OLD_ZIP, StoredRing(rings[-1], since, None, rings), state=Progress.COMPLETE.value,
            reason="in production before the demo", now=since,
        )  # fmt: skip
        narrate("setup", f"{OLD_ZIP} has been on every ring since {since:%d %b}")
        narrate(
            "fleet",
            f"Macs in {', '.join(MACS_ON_INTUNE)} are enrolled in Intune, the others in Jamf Pro",
        )
        fleet = load_repo(repo).repo
        for name in (SEVEN_ZIP, MAC_ON_INTUNE):
            apps = desired_apps(fleet.intents[name], fleet=fleet.fleet)
            narrate(
                "providers",
                f"{name}: " + ", ".join(f"{a.platform.value} via {a.provider}" for a in apps),
            )
        sandbox.set_failure_rate(HALTED, 0.6)
        narrate("fleet", f"{HALTED}'s installer lacks a prerequisite on 60 % of lab machines")
        story = _Story()
        try:
            passes, previous, result = 0, None, None
            while passes < MAX_PASSES:
                passes += 1
                result = await reconciler.reconcile(open_local(repo))
                if on_pass is not None:
                    await on_pass(result, store)
                _tell(result, previous, story, narrate, passes)
                if story.break_browser:
                    sandbox.set_failure_rate(BROWSER, 0.08)
                    story.break_browser = False
                if story.approval_due == passes:
                    commit_as(
                        repo, {APPROVAL: approval}, f"Approve {ADMIN_TOOL} for pilot",
                        GRACE, keys, date=sandbox.now().isoformat(), sign=True,
                    )  # fmt: skip
                    narrate("cab", f"Grace Kim approves {ADMIN_TOOL} for pilot (signed commit)")
                if story.drift_at == passes:
                    _portal_drift(sandbox, narrate)
                if _steady(result, story):
                    break
                previous = result
                sandbox.advance(hours=STEP_HOURS)
            if result is None:  # pragma: no cover - MAX_PASSES is positive
                raise RuntimeError("the demo ran no pass")
            quiet = 0
            for _ in range(2):
                again = await reconciler.reconcile(open_local(repo))
                if on_pass is not None:
                    await on_pass(again, store)
                quiet += again.writes
            narrate("steady", f"two more passes with nothing changed: {quiet} writes")
            maturity = _maturity(repo, store, signers, sandbox, narrate)
            check = verify_audit_log(audit.path, expected_head=store.meta("audit_head"))
            return DemoResult(repo, passes, result, check, quiet, sorted(story.told), maturity)
        finally:
            store.close()
            await close_all(connectors)


def _maturity(
    repo: Path, store: StateStore, signers: Path, sandbox: Sandbox, narrate: Narrate
) -> MaturityReport:
    """Trust maturity from the ring entries the passes recorded (``eucora maturity``)."""
    deployments = [Deployment(i, e.ring, e.entered_at) for i, e in store.ring_entries()]
    change = GitProvenance(repo, signers).level_change()
    report = assess_maturity(
        load_repo(repo).repo, sandbox.now(), deployments=deployments, level_change=change
    )
    rate = report.incident_rate
    narrate(
        "maturity",
        f"trust maturity {report.level}: {len(report.deployments)} deployments since "
        f"{report.window_start:%d %b %Y}, {len(report.incidents)} attributable incidents, "
        f"rate {'n/a' if rate is None else f'{rate:.1%}'}; not yet level {report.next_level}: "
        + ", ".join(c.name for c in report.blocking)
        if not report.ready
        else f"trust maturity {report.level}: ready for level {report.next_level}",
    )
    return report


def _app_id(sandbox: Sandbox, intent: str) -> str:
    marker = f"intent={intent} "
    return next(
        app_id
        for app_id, app in sandbox.graph.apps.items()
        if marker in (app.data.get("notes") or "")
    )


def _portal_drift(sandbox: Sandbox, narrate: Narrate) -> None:
    for intent in (SEVEN_ZIP, WARN_ONLY):
        sandbox.add_all_devices_assignment(_app_id(sandbox, intent))
    narrate(
        "portal",
        f"an admin assigns {SEVEN_ZIP} and {WARN_ONLY} to All Devices by hand in the portal",
    )


def _tell(
    result: PassResult, previous: PassResult | None, story: _Story, narrate: Narrate, n: int
) -> None:
    when = result.at.strftime("%a %d %b %H:%M")
    before = {r.name: r for r in previous.intents} if previous else {}
    for report in result.intents:
        old = before.get(report.name)
        if (
            report.name in {SEVEN_ZIP, BROWSER, ADMIN_TOOL, MAC_ON_INTUNE}
            and report.ring
            and (old is None or old.ring != report.ring)
        ):
            narrate("promote", f"[{when}] {report.name} entered {report.ring}")
    zip_report, browser = result.report(SEVEN_ZIP), result.report(BROWSER)
    admin, zoom = result.report(ADMIN_TOOL), result.report(WARN_ONLY)
    gate = browser.last_gate
    if (
        gate is not None
        and any(v.id == "min-success-rate" for v in gate.result.deny)
        and story.once("browser-held")
    ):
        rate = browser.telemetry.success_rate or 0.0
        narrate(
            "hold",
            f"[{when}] {BROWSER} held at {browser.ring}: success {rate:.1%} "
            f"over {browser.telemetry.reporting} devices is under the gate",
        )
    if browser.ring == "canary" and story.once("browser-breaks"):
        narrate("fleet", f"[{when}] canary's varied hardware: 8 % of {BROWSER} installs fail")
        story.break_browser = True
    admin_gate = admin.last_gate
    if (
        admin_gate is not None
        and any(v.id == "cab-approval" for v in admin_gate.result.deny)
        and story.once("admin-waits")
    ):
        reason = admin_gate.result.deny[0].msg
        narrate("hold", f"[{when}] {ADMIN_TOOL} waits at {admin.ring}: {reason}")
        story.approval_due = n + 1
    halted = result.report(HALTED)
    if halted.state is Progress.BLOCKED and story.once("sap-halted"):
        narrate("halt", f"[{when}] {HALTED}: {halted.reason}")
    if zip_report.ring == "pilot" and story.drift_at is None:
        story.drift_at = n
    for report, beat in ((zip_report, "zip-drift"), (zoom, "zoom-drift")):
        if report.drift and story.once(beat):
            verb = "reverted" if all(d.corrected for d in report.drift) else "reported, not written"
            what = "; ".join(d.describe() for d in report.drift)
            policy = _policy(report.name)
            narrate("drift", f"[{when}] {report.name} ({policy}): {what} → {verb}")
    if zip_report.state is Progress.COMPLETE and story.once("zip-complete"):
        narrate(
            "complete", f"[{when}] {SEVEN_ZIP} is on every ring; {OLD_ZIP} gave way ring by ring"
        )


def _policy(intent: str) -> str:
    return "driftPolicy: warn" if intent == WARN_ONLY else "driftPolicy: correct"


def _steady(result: PassResult, story: _Story) -> bool:
    needed = {"browser-held", "zip-drift", "zoom-drift", "zip-complete", "sap-halted"}
    admin = result.report(ADMIN_TOOL)
    return needed <= story.told and admin.state is Progress.COMPLETE and result.writes == 0
