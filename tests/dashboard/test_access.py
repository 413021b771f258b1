"""The dashboard over HTTP: read-only, locked down by headers, optional bearer-token or
proxy-header access, clear errors."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.dashboard.conftest import (
    EUCORA,
    Served,
    free_port,
    require_chromium,
    serve_dashboard,
)


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_no_endpoint_writes(dashboard: Served, method: str) -> None:
    for path in ("/", "/intent?fleet=local&name=7zip-24.08", "/cab", "/anything"):
        response = httpx.request(method, dashboard.url + path, timeout=10)
        assert response.status_code == 405, (method, path)
        assert response.headers["Allow"] == "GET,HEAD"


def test_pages_allow_no_script_and_are_not_cached(dashboard: Served) -> None:
    response = dashboard.get("/")
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    missing = dashboard.get("/intent?fleet=local&name=nope")
    assert missing.status_code == 404 and "no intent &#39;nope&#39;" in missing.text


def test_a_bearer_token_is_required_when_configured(demo_state: Path) -> None:
    served = serve_dashboard(demo_state, "--token-env", "DASH_TOKEN",
                             env={"DASH_TOKEN": "s3cret-token"})  # fmt: skip
    try:
        assert served.get("/").status_code == 401
        assert served.get("/", headers={"Authorization": "Bearer wrong"}).status_code == 401
        ok = served.get("/cab", headers={"Authorization": "Bearer s3cret-token"})
        assert ok.status_code == 200 and "Waiting for CAB" in ok.text
        assert served.get("/healthz").status_code == 200  # probes need no token
    finally:
        served.process.terminate()
        served.process.wait(10)


def test_an_authenticating_proxys_user_header_is_required_and_shown(demo_state: Path) -> None:
    served = serve_dashboard(demo_state, "--user-header", "X-Forwarded-Email")
    try:
        assert served.get("/").status_code == 403
        ok = served.get("/", headers={"X-Forwarded-Email": "<grace>@contoso.example"})
        assert ok.status_code == 200
        assert '<span class="viewer">&lt;grace&gt;@contoso.example</span>' in ok.text
    finally:
        served.process.terminate()
        served.process.wait(10)


def test_a_missing_state_store_or_token_is_a_usage_error(tmp_path: Path) -> None:
    run = subprocess.run([*EUCORA, "dashboard", "--state", str(tmp_path / "none.db")],
                         check=False, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert run.returncode == 2 and "no such state store" in run.stderr
    run = subprocess.run([*EUCORA, "dashboard", "--token-env", "UNSET_FOR_TEST_XYZ"],
                         check=False, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert run.returncode == 2 and "UNSET_FOR_TEST_XYZ" in run.stderr


def test_without_chromium_browser_tests_fail_in_ci_and_skip_elsewhere() -> None:
    with pytest.raises(pytest.fail.Exception, match="CI must run the browser tests"):
        require_chromium(None, ci=True)
    with pytest.raises(pytest.skip.Exception, match="apt-get install chromium"):
        require_chromium(None, ci=False)
    assert require_chromium("/usr/bin/chromium", ci=True) == "/usr/bin/chromium"


def test_the_start_line_as_json(demo_state: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [*EUCORA, "dashboard", "--state", str(demo_state), "--port", str(port), "--format", "json"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        lines = []
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if line.startswith("}"):
                break
        started = json.loads("".join(lines))
        assert started == {"url": f"http://127.0.0.1:{port}/", "source": str(demo_state),
                           "readOnly": True, "auth": {"token": False, "userHeader": None}}  # fmt: skip
    finally:
        process.terminate()
        process.wait(10)
