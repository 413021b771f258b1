"""Adoption end to end: a hand-made Intune app and Jamf package named like an intent
block its writes with a finding that says how to adopt them (no duplicate, no conflict
loop); once the intent names them in ``spec.adopt`` (a change committed to Git like any
other), the pass stamps the marker on exactly those objects and takes over their
assignments; other hand-made objects stay as they were."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from reconciler.domain.documents.imported import TenantObject, draft_intents
from reconciler.domain.documents.loader import load_repo
from reconciler.domain.evaluation.render import display_name
from reconciler.domain.planning.plan import ActionKind
from reconciler.sandbox import Sandbox
from tests.engine._harness import edit, harness, keep_only

INTENT = "7zip-24.08"
NAME = "7-Zip 24.08"


def hand_make(sandbox: Sandbox) -> tuple[str, str, str]:
    """An Intune app and a Jamf package + policy named like the intent, made by hand."""
    seeded = sandbox.seed_hand_made(1, 1)
    app_id = seeded["intune"][0]
    sandbox.graph.apps[app_id].data["displayName"] = NAME
    jamf = seeded["jamf"][0]
    sandbox.jamf.packages[int(jamf["package"])]["packageName"] = NAME
    return app_id, jamf["package"], jamf["policy"]


def snapshot_of(sandbox: Sandbox) -> dict[str, Any]:
    return {
        "apps": {k: copy.deepcopy(v.data) for k, v in sandbox.graph.apps.items()},
        "assignments": {k: copy.deepcopy(v.assignments) for k, v in sandbox.graph.apps.items()},
        "packages": copy.deepcopy(sandbox.jamf.packages),
        "policies": {k: sandbox.jamf.policy(k).name for k in sandbox.jamf.policies},
    }


def managed(sandbox: Sandbox) -> tuple[list[str], list[str]]:
    marker = f"intent={INTENT} "
    apps = [k for k, v in sandbox.graph.apps.items() if marker in (v.data.get("notes") or "")]
    packages = [str(k) for k, v in sandbox.jamf.packages.items() if marker in (v["notes"] or "")]
    return apps, packages


async def test_a_look_alike_blocks_and_an_approved_adopt_takes_it_over(
    fleet: Path, tmp_path: Path
) -> None:
    keep_only(fleet, [INTENT, "7zip-23.01"])
    edit(fleet, f"intents/{INTENT}.yaml", "    supersedes: 7zip-23.01\n", "")
    keep_only(fleet, [INTENT])
    async with harness(fleet, tmp_path, devices=(60, 30)) as h:
        app_id, package_id, policy_id = hand_make(h.sandbox)
        others = h.sandbox.seed_hand_made(3, 3)
        before = snapshot_of(h.sandbox)

        # without adopt: a blocking look-alike per platform, nothing written, no error
        first = await h.run()
        report = first.report(INTENT)
        lookalikes = [a for a in report.actions if a.kind is ActionKind.LOOK_ALIKE]
        assert {a.platform.value for a in lookalikes if a.platform} == {"windows", "macos"}
        assert any(f'adopt: {{intune: "{app_id}"}}' in a.reason for a in lookalikes)
        assert any(f'adopt: {{jamf: {{package: "{package_id}"}}}}' in a.reason for a in lookalikes)
        assert not report.errors
        assert snapshot_of(h.sandbox) == before  # no duplicate created, nothing touched
        again = await h.run()
        assert not again.report(INTENT).errors and again.writes == 0  # no conflict loop

        # adopt them through Git
        edit(
            fleet, f"intents/{INTENT}.yaml", "  packages:\n",
            f'  adopt:\n    intune: "{app_id}"\n'
            f'    jamf: {{package: "{package_id}", policy: "{policy_id}"}}\n  packages:\n',
        )  # fmt: skip
        adopted = await h.run()
        report = adopted.report(INTENT)
        adopts = [a for a in report.actions if a.kind is ActionKind.ADOPT_APP]
        assert {a.app_id for a in adopts} == {app_id, package_id}
        assert all("take over" in a.reason for a in adopts)
        assert not report.errors, report.errors
        assert managed(h.sandbox) == ([app_id], [package_id])  # zero duplicates
        assert "(eucora:7zip-24.08)" in h.sandbox.jamf.policy(int(policy_id)).name
        # the ring's assignments replaced the hand-made ones
        assert h.assignments(INTENT)

        # the other hand-made objects are exactly as they were
        after = snapshot_of(h.sandbox)
        for other in others["intune"]:
            assert after["apps"][other] == before["apps"][other]
            assert after["assignments"][other] == before["assignments"][other]
        for other in others["jamf"]:
            assert (
                after["packages"][int(other["package"])]
                == before["packages"][int(other["package"])]
            )
            assert (
                after["policies"][int(other["policy"])] == before["policies"][int(other["policy"])]
            )

        # later passes: the intent's own objects, no conflict, no second copy
        h.sandbox.advance(hours=24)
        later = await h.run()
        assert not later.report(INTENT).errors
        assert managed(h.sandbox) == ([app_id], [package_id])


ADOPTED = ["7zip-23.01", "7zip-24.08", "firefox-132.0.2", "slack-4.41.105", "zoom-6.2.10"]


def marked(sandbox: Sandbox, intent: str) -> tuple[list[str], list[str]]:
    marker = f"intent={intent} "
    apps = [k for k, v in sandbox.graph.apps.items() if marker in (v.data.get("notes") or "")]
    packages = [str(k) for k, v in sandbox.jamf.packages.items() if marker in (v["notes"] or "")]
    return apps, packages


async def test_ten_of_two_hundred_hand_made_objects_adopted_through_git(
    fleet: Path, tmp_path: Path
) -> None:
    keep_only(fleet, ADOPTED)
    edit(fleet, "intents/7zip-24.08.yaml", "    supersedes: 7zip-23.01\n", "")
    intents = load_repo(fleet).repo.intents
    async with harness(fleet, tmp_path, devices=(60, 30)) as h:
        seeded = h.sandbox.seed_hand_made(100, 100)
        chosen: dict[str, tuple[str, dict[str, str]]] = {}
        for n, name in enumerate(ADOPTED):
            app_id, jamf = seeded["intune"][n], seeded["jamf"][n]
            title = display_name(intents[name])
            h.sandbox.graph.apps[app_id].data["displayName"] = title
            h.sandbox.jamf.packages[int(jamf["package"])]["packageName"] = title
            chosen[name] = (app_id, jamf)
            edit(
                fleet, f"intents/{name}.yaml", "  packages:\n",
                f'  adopt:\n    intune: "{app_id}"\n'
                f'    jamf: {{package: "{jamf["package"]}", policy: "{jamf["policy"]}"}}\n'
                "  packages:\n",
            )  # fmt: skip
        before = snapshot_of(h.sandbox)
        taken = {i for c in chosen.values() for i in (c[0], c[1]["package"])}

        def all_adopted(result: Any) -> bool:
            assert not result.errors, result.errors  # zero conflicts, on every pass
            return all(marked(h.sandbox, name) != ([], []) for name in ADOPTED)

        await h.until(all_adopted, hours=24, passes=6)
        for name, (app_id, jamf) in chosen.items():
            assert marked(h.sandbox, name) == ([app_id], [jamf["package"]]), name  # no duplicate
        assert len(h.sandbox.graph.apps) == 100 and len(h.sandbox.jamf.packages) == 100

        # the other 190 are exactly as they were
        after = snapshot_of(h.sandbox)
        untouched = 0
        for app_id in seeded["intune"]:
            if app_id not in taken:
                assert after["apps"][app_id] == before["apps"][app_id]
                assert after["assignments"][app_id] == before["assignments"][app_id]
                untouched += 1
        for jamf in seeded["jamf"]:
            if jamf["package"] not in taken:
                key = int(jamf["package"])
                assert after["packages"][key] == before["packages"][key]
                assert (
                    after["policies"][int(jamf["policy"])]
                    == before["policies"][int(jamf["policy"])]
                )
                untouched += 1
        assert untouched == 190

        # and reported: importing again drafts the 190, the 10 are named as managed
        objects: list[TenantObject] = []
        for connector in h.connectors.values():
            reader = getattr(connector, "import_objects", None)
            if reader is not None:
                objects += await reader()
        result = draft_intents(objects, ring_of_group={}, ring_order=[], requester="x@y.z")
        assert len(result.drafts) == 190
        assert {u.object_id for u in result.unmapped if "managed by intent" in u.reason} == taken
