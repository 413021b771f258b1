"""The dashboard in a real browser (Chromium through Playwright) against the demo fleet:
each page's content, hover reasons, the click from the matrix to an intent, and markup
from Git or a tenant shown as text."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.conftest import EXAMPLE_INTENTS
from tests.dashboard.conftest import (
    HOSTILE_APP,
    HOSTILE_NAME,
    Served,
    screenshot,
    serve_dashboard,
)

DEMO_INTENTS = EXAMPLE_INTENTS


def cell(page: Any, intent: str, ring: str) -> Any:
    return page.locator(f'tr[data-intent="{intent}"] td[data-ring="{ring}"]')


def test_the_matrix_shows_every_intent_by_ring_with_reasons_on_hover(
    page: Any, dashboard: Served
) -> None:
    page.goto(dashboard.url + "/")
    assert page.title() == "EUCORA rollouts"
    rows = page.locator("table.matrix tbody tr")
    assert rows.count() == DEMO_INTENTS
    headers = page.locator("table.matrix thead th.ring").all_inner_texts()
    assert headers == ["lab", "canary", "pilot", "broad", "global"]
    # 7-Zip went all the way; Chrome is held at canary by the success-rate gate
    assert cell(page, "7zip-24.08", "global").get_attribute("class") == "cell current"
    assert cell(page, "7zip-24.08", "lab").inner_text() == "done"
    assert cell(page, "chrome-131.0.6778", "canary").get_attribute("class") == "cell current"
    held = cell(page, "chrome-131.0.6778", "pilot")
    assert held.get_attribute("class") == "cell held"
    assert "min-success-rate" in (held.get_attribute("title") or "")
    # SAP GUI is halted in lab by the health gate
    halted = cell(page, "sap-gui-8.00", "lab")
    assert halted.inner_text() == "halted"
    assert "halt threshold" in (halted.get_attribute("title") or "")
    # rings past an intent's `until` are not targeted
    assert cell(page, "rdm-admin-2024.3", "broad").get_attribute("class") == "cell beyond"
    # the cell's colour comes from the stylesheet (no inline style, no script)
    colour = halted.evaluate("e => getComputedStyle(e).backgroundColor")
    assert colour == "rgb(217, 59, 59)"
    halted.hover()
    assert page.locator("script").count() == 0
    screenshot(page, "matrix")


def test_clicking_an_intent_opens_its_page_with_history_health_risk_cab_and_audit(
    page: Any, dashboard: Served
) -> None:
    page.goto(dashboard.url + "/")
    page.get_by_role("link", name="rdm-admin-2024.3", exact=True).click()
    page.wait_for_url(re.compile(r"/intent\?fleet=local&name=rdm-admin-2024\.3$"))
    assert page.locator("h1#intent-name").inner_text() == "rdm-admin-2024.3"
    # ring history on the timeline, oldest first
    history = page.locator("#history li").all_inner_texts()
    assert [re.search(r"entered (\w+)", h)[1] for h in history] == ["lab", "canary", "pilot"]  # type: ignore[index]
    # install success per ring against each ring's gate, with the sample size
    pilot = page.locator('#health tr[data-ring="pilot"] td').all_inner_texts()
    reporting, minimum = (int(x) for x in pilot[4].split(" / "))
    assert minimum == 50 and reporting >= minimum
    assert "≥ 97.0 %" in pilot[5] and pilot[6] == "meets gate"
    # the whole risk breakdown, largest contribution first
    factors = page.locator("#risk tbody tr")
    assert factors.count() == 8
    assert factors.first.get_attribute("data-factor") == "privilege_impact"
    assert "installs as SYSTEM/root" in factors.first.inner_text()
    # the signed approval that let it into pilot, and its verdict
    verdicts = page.locator("#cab tbody tr").all_inner_texts()
    assert any("grace.kim@contoso.example" in v and "valid" in v for v in verdicts)
    assert page.locator("#missing").count() == 0  # nothing more is needed
    # the audit trail: its decisions and writes, newest first
    events = page.locator("#audit tbody tr td:nth-child(3)").all_inner_texts()
    assert {"decision", "write", "ring-entered"} <= set(events)
    seqs = [int(s) for s in page.locator("#audit tbody tr td:nth-child(1)").all_inner_texts()]
    assert seqs == sorted(seqs, reverse=True)
    screenshot(page, "intent")


def test_drift_shows_expected_and_observed_values(page: Any, dashboard: Served) -> None:
    page.goto(dashboard.url + "/intent?fleet=local&name=zoom-6.2.10")
    row = page.locator("#drift tbody tr").first.locator("td").all_inner_texts()
    platform, field, expected, observed, policy, outcome = row
    assert (platform, policy, outcome) == ("windows", "warn", "reported")
    assert "assignment" in field and expected == "absent" and "allDevices" in observed
    # a held intent's page names the denying rule and the gate it missed
    page.goto(dashboard.url + "/intent?fleet=local&name=chrome-131.0.6778")
    assert "min-success-rate" in page.locator("#gate").inner_text()
    canary = page.locator('#health tr[data-ring="canary"] td').all_inner_texts()
    assert canary[6] == "below gate"
    screenshot(page, "intent-held")


def test_the_cab_queue_lists_what_waits_with_the_command_to_approve(
    page: Any, dashboard: Served
) -> None:
    page.goto(dashboard.url + "/")
    page.get_by_role("link", name="Waiting for CAB").click()
    page.wait_for_url(re.compile(r"/cab$"))
    rows = page.locator("table.queue tbody tr")
    names = [rows.nth(i).get_attribute("data-intent") for i in range(rows.count())]
    assert "globalprotect-6.3.2" in names and "teams-24295" in names
    assert "rdm-admin-2024.3" not in names  # approved in the demo
    commands = page.locator('tr[data-intent="globalprotect-6.3.2"] code.command').all_inner_texts()
    assert commands == [
        "eucora approve globalprotect-6.3.2 --rings pilot,broad,global --role security",
        "eucora approve globalprotect-6.3.2 --rings pilot,broad,global --role change-manager",
    ]
    screenshot(page, "cab-queue")
    page.locator('tr[data-intent="teams-24295"] a').click()
    page.wait_for_url(re.compile(r"name=teams-24295$"))
    assert "eucora approve teams-24295 --rings pilot,broad" in page.locator("#missing").inner_text()


def test_markup_from_git_or_a_tenant_renders_as_text(page: Any, hostile_state: Path) -> None:
    served = serve_dashboard(hostile_state)
    try:
        page.goto(served.url + "/")
        link = page.get_by_role("link", name=HOSTILE_NAME, exact=True)
        assert link.count() == 1
        row = page.locator("table.matrix tbody tr", has=link)
        assert HOSTILE_APP in row.inner_text()
        assert page.locator("script").count() == 0 and page.locator("img").count() == 0
        link.click()
        page.wait_for_load_state()
        assert page.locator("h1#intent-name").inner_text() == HOSTILE_NAME
        assert page.title().startswith(HOSTILE_NAME)
        assert "<b>bold</b> & <i>italic</i>" in page.locator("p.reason").inner_text()
        assert page.locator("p.reason b").count() == 0
        assert page.locator("script").count() == 0 and page.locator("img").count() == 0
        screenshot(page, "escaping")
        assert page.dialogs == []  # no alert() ever ran
    finally:
        served.process.terminate()
        served.process.wait(10)
