"""`eucora sandbox serve --format json` prints how to reach it, then serves until stopped."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import httpx


def test_serve_prints_connection_info_and_serves() -> None:
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
            "30",
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
        assert info["graphUrl"].startswith("http://127.0.0.1:")
        form = {
            "grant_type": "client_credentials",
            "client_id": info["clientId"],
            "client_secret": info["clientSecret"],
        }
        token = httpx.post(info["tokenUrl"], data=form).json()["access_token"]
        apps = httpx.get(
            f"{info['graphUrl']}/deviceAppManagement/mobileApps",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert apps.status_code == 200 and apps.json()["value"] == []
        members = httpx.get(
            f"{info['graphUrl']}/groups/3f8a1c2e-5b7d-4e21-9a0c-1d2e3f4a5b05/members",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert len(members.json()["value"]) > 0
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
