"""Delivery: retried with backoff, never holding up the caller, counted; settings checked
with errors that name the field; URLs and tokens kept out of reprs and logs."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from reconciler.domain.errors import ConfigurationError
from reconciler.notify import (
    Backoff,
    Kind,
    Notice,
    NotificationConfig,
    Notifier,
    RolloutStatus,
    load_file,
)
from reconciler.notify._config import Channel, CommitStatusTarget, Webhook
from tests.notify._standin import stand_in

FAST = Backoff(attempts=4, initial=0.01, maximum=0.05)


def notice(kind: Kind = Kind.HALT, intent: str = "sap-gui-8.00") -> Notice:
    return Notice(kind=kind, intent=intent, title=f"SAP GUI {kind.value}", text="lab < 90 %",
                  ring="lab", revision="a" * 40, source="fleet/src", reason="HealthGateFailed",
                  facts=(("Intent", intent),))  # fmt: skip


def count(channel: str, result: str) -> float:
    value = REGISTRY.get_sample_value(
        "eucora_notifications_total", {"channel": channel, "result": result}
    )
    return value or 0.0


def hooks(url: str, *kinds: Kind) -> NotificationConfig:
    wanted = frozenset(kinds or Kind)
    return NotificationConfig(
        webhooks=(
            Webhook(Channel.SLACK, f"{url}/slack", wanted),
            Webhook(Channel.JSON, f"{url}/hook", wanted),
        )
    )


async def test_server_errors_and_throttling_are_retried_until_delivered() -> None:
    async with stand_in() as server:
        server.script["/slack"] = [500, 429, 503]
        before = count("slack", "sent")
        notifier = Notifier(hooks(server.url), backoff=FAST)
        notifier.send([notice()])
        await notifier.aclose()
    assert len(server.at("/slack")) == 4  # three refused, the fourth taken
    assert count("slack", "sent") == before + 1
    retries = REGISTRY.get_sample_value("eucora_notification_retries_total", {"channel": "slack"})
    assert retries is not None and retries >= 3


async def test_a_refusal_is_final_and_counted_as_failed() -> None:
    async with stand_in() as server:
        server.script["/hook"] = [404]
        before = count("webhook", "failed")
        notifier = Notifier(hooks(server.url), backoff=FAST)
        notifier.send([notice()])
        await notifier.aclose()
    assert len(server.at("/hook")) == 1  # not retried
    assert count("webhook", "failed") == before + 1


async def test_giving_up_after_the_last_attempt_is_counted() -> None:
    async with stand_in() as server:
        server.script["/slack"] = [502] * 10
        before = count("slack", "failed")
        notifier = Notifier(hooks(server.url), backoff=FAST)
        notifier.send([notice()])
        await notifier.aclose()
    assert len(server.at("/slack")) == FAST.attempts
    assert count("slack", "failed") == before + 1


async def test_sending_never_waits_for_a_slow_webhook() -> None:
    async with stand_in() as server:
        server.delay = 2.0
        notifier = Notifier(hooks(server.url), backoff=FAST)
        started = time.perf_counter()
        notifier.send([notice(), notice(Kind.HOLD)])
        assert time.perf_counter() - started < 0.1
        assert notifier.pending == 4
        await notifier.drain()
        await notifier.aclose()
    assert len(server.requests) == 4


async def test_only_the_kinds_a_webhook_asks_for_are_sent() -> None:
    async with stand_in() as server:
        notifier = Notifier(hooks(server.url, Kind.HALT), backoff=FAST)
        notifier.send([notice(Kind.PROMOTION), notice(Kind.HALT)])
        await notifier.aclose()
    assert [e["kind"] for e in server.at("/hook")] == ["halt"]


async def test_a_commit_status_is_posted_once_per_change_of_state() -> None:
    async with stand_in() as server:
        target = CommitStatusTarget("github", "contoso/fleet", f"{server.url}/api",
                                    "eucora/rollout", "ghp_x")  # fmt: skip
        notifier = Notifier(NotificationConfig(commit_status=target), backoff=FAST)
        pending = RolloutStatus("pending", "rolling out: 1 of 2 intents complete")
        for status in (pending, pending, RolloutStatus("success", "rolled out: 2 of 2")):
            notifier.commit_status("b" * 40, status, "https://eucora.example")
            await asyncio.sleep(0)
        await notifier.aclose()
    posted = server.under("/api/repos/contoso/fleet/statuses/" + "b" * 40)
    assert [p.body["state"] for p in posted] == ["pending", "success"]
    assert posted[0].body == {"state": "pending", "context": "eucora/rollout",
                              "description": "rolling out: 1 of 2 intents complete",
                              "target_url": "https://eucora.example"}  # fmt: skip
    assert posted[0].headers["X-GitHub-Api-Version"] == "2022-11-28"


def test_secrets_stay_out_of_reprs() -> None:
    hook = Webhook(Channel.SLACK, "https://hooks.slack.example/T000/B000/XXXXSECRET", frozenset())
    target = CommitStatusTarget("github", "o/r", "https://api.github.com", "c", "ghp_SECRET")
    assert "SECRET" not in repr(hook) and "SECRET" not in repr(target)
    assert "SECRET" not in repr(NotificationConfig((hook,), target))


def test_the_file_names_the_field_that_is_wrong(tmp_path: Path) -> None:
    path = tmp_path / "notifications.yaml"
    path.write_text("teams:\n  - urlEnv: TEAMS\nslack:\n  - secretRef: {name: chat}\n")
    with pytest.raises(ConfigurationError, match=r"slack\[0\]: secretRef works in a GitSource"):
        load_file(path, {"TEAMS": "http://127.0.0.1:1/t"})
    path.write_text("teams:\n  - urlEnv: TEAMS\n")
    with pytest.raises(ConfigurationError, match="environment variable TEAMS is not set"):
        load_file(path, {})
    path.write_text("events: [promotion, explosion]\n")
    with pytest.raises(ConfigurationError, match=r"events\.1: 'explosion' is not one of"):
        load_file(path, {})
    path.write_text("teams: [\n")
    with pytest.raises(ConfigurationError, match=r"notifications\.yaml:2: not YAML"):
        load_file(path, {})
    path.write_text(
        "teams:\n  - urlEnv: TEAMS\n    events: [halt]\ndashboardUrl: https://d.example\n"
    )
    config = load_file(path, {"TEAMS": "http://127.0.0.1:1/t"})
    assert config.webhooks[0].kinds == {Kind.HALT} and config.dashboard_url == "https://d.example"
