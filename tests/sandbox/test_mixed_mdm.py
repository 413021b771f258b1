"""A fleet moving from Jamf Pro to Intune: a share of every ring's Macs enrolled in Intune."""

from __future__ import annotations

import pytest

from reconciler.sandbox import Sandbox


def test_a_share_of_every_rings_macs_is_enrolled_in_intune() -> None:
    sandbox = Sandbox(devices_windows=10, devices_macos=200, intune_mac_share=0.5, seed=4)
    macs = [d for d in sandbox.devices if d.platform == "macos"]
    on_intune = [d for d in macs if d.mdm == "intune"]
    assert 70 < len(on_intune) < 130
    for ring in {d.ring for d in macs}:
        in_ring = [d for d in macs if d.ring == ring]
        if len(in_ring) >= 20:
            assert 0 < sum(d.mdm == "intune" for d in in_ring) < len(in_ring)
    again = Sandbox(devices_windows=10, devices_macos=200, intune_mac_share=0.5, seed=4)
    assert [d.mdm for d in again.devices] == [d.mdm for d in sandbox.devices]  # the seed decides
    named = Sandbox(devices_macos=50, intune_mac_share=1.0, macos_mdm={"lab": "jamf"})
    assert {d.mdm for d in named.devices if d.platform == "macos" and d.ring == "lab"} == {"jamf"}
    with pytest.raises(ValueError, match="intune_mac_share"):
        Sandbox(intune_mac_share=1.5)
