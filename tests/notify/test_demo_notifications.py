"""The demo with notifications: a held and a halted intent each produce exactly one Teams
and one Slack message, recorded by local stand-ins, and the rolled-out revision gets a
commit status."""

from __future__ import annotations

import itertools
from pathlib import Path

import git
import pytest

from reconciler.compose.demo import run_demo
from reconciler.engine import PassResult, StateStore
from reconciler.notify import Backoff, NotificationConfig, Notifier, StoreBasis, parse
from tests.notify._standin import stand_in

HELD, HALTED = "chrome-131.0.6778", "sap-gui-8.00"


def config(url: str, **extra: object) -> NotificationConfig:
    env = {"TEAMS": f"{url}/teams", "SLACK": f"{url}/slack", "HOOK": f"{url}/hook",
           "GH_TOKEN": "ghp_test"}  # fmt: skip
    document = {
        "events": ["hold", "halt"],
        "dashboardUrl": "https://eucora.contoso.example",
        "teams": [{"urlEnv": "TEAMS"}],
        "slack": [{"urlEnv": "SLACK"}],
        "webhooks": [{"urlEnv": "HOOK", "events": ["promotion", "hold", "halt",
                      "cab-approval-needed", "drift-corrected", "drift-reported", "complete"]}],
        "commitStatus": {"provider": "github", "repository": "contoso/fleet",
                         "apiUrl": f"{url}/api", "tokenEnv": "GH_TOKEN"},
        **extra,
    }  # fmt: skip
    from reconciler.notify._config import from_env

    return parse(document, from_env(env), "test")


def about(bodies: list[dict[str, object]], intent: str, field: str) -> list[dict[str, object]]:
    return [b for b in bodies if intent in str(b[field])]


# the whole demo: ~20 passes against three providers' tenants; minutes under load
@pytest.mark.timeout(600)
async def test_a_held_and_a_halted_intent_are_told_once_each_with_a_commit_status(
    tmp_path: Path,
) -> None:
    async with stand_in() as server:
        notifier = Notifier(config(server.url), backoff=Backoff(attempts=3, initial=0.01))
        revisions: list[str] = []
        told: list[StoreBasis] = []

        async def on_pass(result: PassResult, store: StateStore) -> None:
            if not told:
                told.append(StoreBasis(store, notifier, source="demo"))
            told[0].after_pass(result)
            revisions.append(result.revision)

        result = await run_demo(tmp_path, lambda kind, text: None, on_pass)
        await notifier.aclose(timeout=30)

    assert result.last.report(HELD).state.value == "Holding"
    assert result.last.report(HALTED).state.value == "Blocked"
    teams, slack = server.at("/teams"), server.at("/slack")
    # Teams: Adaptive Cards, one per event, exactly one for each of the two intents
    titles = [b["attachments"][0]["content"]["body"][0]["text"] for b in teams]
    assert len([t for t in titles if t.startswith("Google Chrome")]) == 1, titles
    assert len([t for t in titles if t.startswith("SAP GUI")]) == 1, titles
    (chrome_card,) = [
        b for b in teams if "Chrome" in b["attachments"][0]["content"]["body"][0]["text"]
    ]
    card = chrome_card["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    content = card["content"]
    assert content["type"] == "AdaptiveCard" and content["version"] == "1.4"
    assert content["body"][0] == {
        "type": "TextBlock", "text": "Google Chrome 131.0.6778.70 held", "weight": "Bolder",
        "size": "Medium", "wrap": True, "color": "Warning",
    }  # fmt: skip
    assert "min-success-rate" in content["body"][1]["text"]
    facts = {f["title"]: f["value"] for f in content["body"][2]["facts"]}
    assert facts["Intent"] == HELD and facts["State"] == "Holding"
    assert facts["Ring"] == "canary" and facts["Next ring"] == "pilot"
    assert content["actions"] == [{
        "type": "Action.OpenUrl", "title": "Open in the dashboard",
        "url": f"https://eucora.contoso.example/intent?fleet=local&name={HELD}",
    }]  # fmt: skip
    # Slack: Block Kit, one message each
    assert len(about(slack, "Google Chrome", "text")) == 1
    (sap,) = about(slack, "SAP GUI", "text")
    assert sap["blocks"][0] == {"type": "header",
                                "text": {"type": "plain_text", "text": "SAP GUI for Windows 8.00.10 halted"}}  # fmt: skip
    assert sap["blocks"][1]["text"]["text"].startswith(":red_circle: ")
    assert "halt threshold" in sap["blocks"][1]["text"]["text"]
    # every hold and halt is told once (an intent held at two rings is two holds), on both
    # channels alike
    told_at = [
        (b["attachments"][0]["content"]["body"][0]["text"],
         {f["title"]: f["value"] for f in b["attachments"][0]["content"]["body"][2]["facts"]}["Ring"])
        for b in teams
    ]  # fmt: skip
    assert len(told_at) == len(set(told_at)), told_at
    assert len(teams) == len(slack)
    assert sorted(titles) == sorted(b["blocks"][0]["text"]["text"] for b in slack)
    # the generic webhook also takes promotions; its held/halted events are still single
    hook = server.at("/hook")
    assert {e["kind"] for e in hook} == {
        "promotion",
        "hold",
        "halt",
        "cab-approval-needed",
        "drift-corrected",
        "drift-reported",
        "complete",
    }
    # the admin tool waited for CAB: told once, with the command that approves it
    (cab,) = [e for e in hook if e["kind"] == "cab-approval-needed"]
    assert cab["intent"] == "rdm-admin-2024.3" and cab["ring"] == "pilot"
    assert cab["commands"] == ["eucora approve rdm-admin-2024.3 --rings pilot"]
    # the portal edit: reverted on 7-Zip, reported on Zoom
    assert [e["intent"] for e in hook if e["kind"] == "drift-corrected"] == ["7zip-24.08"]
    assert [e["intent"] for e in hook if e["kind"] == "drift-reported"] == ["zoom-6.2.10"]
    assert "allDevices" in next(e for e in hook if e["kind"] == "drift-reported")["message"]
    assert [e["intent"] for e in hook if e["kind"] == "halt"] == [HALTED]
    assert [e["intent"] for e in hook if e["kind"] == "hold"].count(HELD) == 1
    # commit statuses on the revisions rolled out, the last one failing for the halt
    statuses = server.under("/api/repos/contoso/fleet/statuses/")
    assert statuses, "no commit status posted"
    head = git.Repo(tmp_path / "fleet").head.commit.hexsha
    assert head == revisions[-1]
    last = [s for s in statuses if s.path.endswith(head)][-1]
    assert last.headers["Authorization"] == "Bearer ghp_test"
    assert last.headers["Accept"] == "application/vnd.github+json"
    assert last.body["state"] == "failure" and last.body["context"] == "eucora/rollout"
    assert HALTED in last.body["description"] and len(last.body["description"]) <= 140
    assert last.body["target_url"] == "https://eucora.contoso.example"
    # one status per change, not per pass
    bodies = [(s.path, s.body["state"], s.body["description"]) for s in statuses]
    assert all(a != b for a, b in itertools.pairwise(bodies))
    assert len(bodies) < len(revisions) / 2
