"""``eucora sandbox serve --format json``: one JSON object on the first line, then serving."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import httpx


def test_serve_prints_connection_json_and_serves() -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reconciler",
            "sandbox",
            "serve",
            "--format",
            "json",
            "--devices",
            "70",
            "--seed",
            "4",
            "--jamf-token-seconds",
            "60",
            "--start",
            "2026-11-20T08:00:00Z",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        info = json.loads(process.stdout.readline())
        assert set(info) >= {
            "graphUrl",
            "tokenUrl",
            "tenantId",
            "clientId",
            "clientSecret",
            "jamfUrl",
            "jamfClientId",
            "jamfClientSecret",
            "adminUrl",
        }
        token = httpx.post(
            info["tokenUrl"],
            data={
                "client_id": info["clientId"],
                "client_secret": info["clientSecret"],
                "scope": "https://graph.microsoft.com/.default",
                "grant_type": "client_credentials",
            },
        ).json()["access_token"]
        devices = httpx.get(
            f"{info['graphUrl']}/v1.0/deviceManagement/managedDevices",
            headers={"Authorization": f"Bearer {token}"},
        ).json()
        assert len(devices["value"]) == 50
        assert httpx.get(f"{info['adminUrl']}/clock").json()["now"] == "2026-11-20T08:00:00Z"
        jamf = httpx.post(
            f"{info['jamfUrl']}/api/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": info["jamfClientId"],
                "client_secret": info["jamfClientSecret"],
            },
        ).json()
        assert jamf["expires_in"] == 60
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0


def test_bad_fault_spec_is_exit_1() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "reconciler", "sandbox", "serve", "--faults", "418@*:0.1"],
        capture_output=True,
        check=False,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "unknown kind" in result.stderr


def test_a_bad_macos_mdm_is_exit_1_naming_the_rings() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "reconciler", "sandbox", "serve", "--macos-mdm", "lab=kandji"],
        capture_output=True,
        check=False,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "kandji" in result.stderr and "intune" in result.stderr
    result = subprocess.run(
        [sys.executable, "-m", "reconciler", "sandbox", "serve", "--macos-mdm", "moon=intune"],
        capture_output=True,
        check=False,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "moon" in result.stderr and "canary" in result.stderr
