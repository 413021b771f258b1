"""The sandbox host: one aiohttp server on 127.0.0.1 with the emulators mounted on it.

The host owns the lifecycle, the credentials, the simulated clock, the fault middleware,
the ``/_sandbox/`` admin API and dispatch by path to the emulator that serves it: Graph
with its Entra token endpoint (:mod:`.graph`), blob storage (:mod:`._blob`), Jamf Pro
with Classic (:mod:`.jamf`). Emulators get a :class:`~._emulator.HostContext` (clock,
counters, faults, tokens, install outcomes), never the host itself.

Use it in-process (``async with Sandbox(...) as sb``) or via ``eucora sandbox serve``.
"""

from __future__ import annotations

import asyncio
import secrets
import socket
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from aiohttp import web

from reconciler.sandbox import _drift, _simulation
from reconciler.sandbox._admin import admin
from reconciler.sandbox._blob import BlobEmulator, BlobStore
from reconciler.sandbox._emulator import (
    FAULT_TEXT,
    Emulator,
    HostContext,
    Outcomes,
    path_template,
    to_response,
)
from reconciler.sandbox._faults import FaultInjector, FaultRule, parse_faults
from reconciler.sandbox._fleet import (
    DEFAULT_SUCCESS_RATE,
    SIM_EPOCH,
    Device,
    build_devices,
    load_rings,
)
from reconciler.sandbox._handmade import seed_hand_made
from reconciler.sandbox._tokens import TokenStore
from reconciler.sandbox._wire import Reply, graph_error
from reconciler.sandbox.graph import EntraApp, GraphEmulator, GraphService
from reconciler.sandbox.jamf import JAMF_TOKEN_SECONDS, JamfAccounts, JamfEmulator, JamfService

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
MDMS = ("intune", "jamf")


def _new_id(rng: secrets.SystemRandom) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


class Sandbox:
    """An emulated Intune + Jamf Pro tenant on 127.0.0.1 with a simulated fleet and clock.

    ``async with Sandbox(seed=7) as sb:`` starts it on a free port; credentials are
    generated per instance. ``sb.advance(hours=8)`` moves the simulated clock.
    ``macos_mdm`` names, per ring, the MDM its Macs are enrolled in (``jamf``, the
    default, or ``intune``).
    """

    def __init__(
        self,
        *,
        devices_windows: int = 2000,
        devices_macos: int = 800,
        seed: int = 0,
        fleet: Path | str | None = None,
        faults: str | tuple[FaultRule, ...] | None = None,
        port: int = 0,
        host: str = "127.0.0.1",
        page_size: int = 100,
        success_rate: float = DEFAULT_SUCCESS_RATE,
        retry_after_seconds: int = 1,
        jamf_token_seconds: int = JAMF_TOKEN_SECONDS,
        publish_after_reads: int = 2,
        sas_lifetime_minutes: float = 10.0,
        connectivity: Mapping[str, tuple[float, float, float]] | None = None,
        start: datetime | None = None,
        macos_mdm: Mapping[str, str] | None = None,
    ) -> None:
        self.jamf_token_seconds = jamf_token_seconds
        self.publish_after_reads = publish_after_reads
        self.sas_lifetime = timedelta(minutes=sas_lifetime_minutes)
        self.seed = seed
        #: per ring: shares of online / intermittent / air-gapped devices
        self.connectivity = dict(connectivity or {})
        #: when the simulated clock starts (tests: a fixed instant; the CLI: now)
        self.clock_start = start if start is not None else SIM_EPOCH
        self.host = host
        self.requested_port = port
        self.page_size = page_size
        self.retry_after_seconds = retry_after_seconds
        self.fleet_path = Path(fleet) if fleet else None
        self.rings = load_rings(self.fleet_path)
        self.macos_mdm = dict(macos_mdm or {})
        unknown = {m for m in self.macos_mdm.values() if m not in MDMS}
        if unknown:
            raise ValueError(f"unknown MDM {sorted(unknown)} (one of {', '.join(MDMS)})")
        strangers = set(self.macos_mdm) - {r.name for r in self.rings}
        if strangers:
            raise ValueError(
                f"no ring {sorted(strangers)} in the fleet (rings: "
                f"{', '.join(r.name for r in self.rings)})"
            )
        self.device_counts = (devices_windows, devices_macos)
        rules = parse_faults(faults) if isinstance(faults, str) or faults is None else faults
        self.faults = FaultInjector(rules, seed)
        rng = secrets.SystemRandom()
        self.tenant_id, self.client_id = _new_id(rng), _new_id(rng)
        self.client_secret = secrets.token_urlsafe(30)
        self.jamf_client_id = _new_id(rng)
        self.jamf_client_secret = secrets.token_urlsafe(30)
        self.jamf_username = "sandbox-admin"
        self.jamf_password = secrets.token_urlsafe(18)
        self.tokens = TokenStore()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.requests: Counter[str] = Counter()
        self.outcomes = Outcomes(seed, success_rate)
        self._build_state()

    # ---------------------------------------------------------------- state
    @property
    def success_rate(self) -> float:
        return self.outcomes.success_rate

    @success_rate.setter
    def success_rate(self, value: float) -> None:
        self.outcomes.success_rate = value

    @property
    def failure_rates(self) -> dict[str, float]:
        return self.outcomes.failure_rates

    @property
    def jamf_tokens_issued(self) -> int:
        """OAuth tokens handed to Jamf API clients (token lifetime tests count them)."""
        return self.tokens.issued["jamf-oauth"]

    @property
    def graph_batch_inner(self) -> int:
        return self.graph_emulator.batch_inner

    def _build_state(self) -> None:
        self.clock = self.clock_start
        windows, macos = self.device_counts
        self.devices: list[Device] = build_devices(
            self.rings, windows, macos, self.seed, self.connectivity, epoch=self.clock_start
        )
        for device in self.devices:
            if device.platform == "macos" and device.ring in self.macos_mdm:
                device.mdm = self.macos_mdm[device.ring]
        self.context = HostContext(
            now=self.now,
            requests=self.requests,
            faults=self.faults,
            tokens=self.tokens,
            outcomes=self.outcomes,
            retry_after_seconds=self.retry_after_seconds,
        )
        self.blob = BlobStore(self.sas_lifetime)
        self.graph = GraphService(
            self.devices,
            self.now,
            self.page_size,
            self.seed,
            publish_after_reads=self.publish_after_reads,
            blob=self.blob,
            outcomes=self.outcomes,
        )
        self.jamf = JamfService(self.devices, self.now, self.seed, self.outcomes)
        _simulation.seed_ring_groups(
            self.rings, self.devices, self.graph, self.jamf, self.clock_start
        )
        self.graph_emulator = GraphEmulator(
            self.graph,
            self.context,
            EntraApp(self.tenant_id, self.client_id, self.client_secret),
        )
        accounts = JamfAccounts(
            self.jamf_client_id,
            self.jamf_client_secret,
            self.jamf_username,
            self.jamf_password,
            self.jamf_token_seconds,
        )
        #: mounted in this order; the first whose prefixes or token paths match serves
        self.emulators: tuple[Emulator, ...] = (
            self.graph_emulator,
            BlobEmulator(self.blob, self.context),
            JamfEmulator(self.jamf, self.context, accounts),
        )
        self.requests.clear()
        self.faults.reset()
        self._publish_base_url()

    def _publish_base_url(self) -> None:
        if self._runner is not None:
            self.graph.base_url = self.jamf.base_url = self.base_url

    def now(self) -> datetime:
        return self.clock

    # ---------------------------------------------------------------- lifecycle
    async def __aenter__(self) -> Sandbox:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        app = web.Application(middlewares=[self._middleware], client_max_size=1024**3)
        app.router.add_route("*", "/{tail:.*}", self._route)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.requested_port))
        self.port = sock.getsockname()[1]
        site = web.SockSite(self._runner, sock)
        await site.start()
        self._publish_base_url()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ---------------------------------------------------------------- URLs
    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def graph_url(self) -> str:
        """Graph root, the stand-in for ``https://graph.microsoft.com`` (append /v1.0 or /beta)."""
        return self.base_url

    @property
    def graph_v1_url(self) -> str:
        return f"{self.base_url}/v1.0"

    @property
    def graph_beta_url(self) -> str:
        return f"{self.base_url}/beta"

    @property
    def authority_url(self) -> str:
        """Stand-in for ``https://login.microsoftonline.com``."""
        return self.base_url

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/{self.tenant_id}/oauth2/v2.0/token"

    @property
    def jamf_url(self) -> str:
        return self.base_url

    @property
    def admin_url(self) -> str:
        return f"{self.base_url}/_sandbox"

    def connection_info(self) -> dict[str, str]:
        return {
            "graphUrl": self.graph_url,
            "tokenUrl": self.token_url,
            "tenantId": self.tenant_id,
            "clientId": self.client_id,
            "clientSecret": self.client_secret,
            "jamfUrl": self.jamf_url,
            "jamfClientId": self.jamf_client_id,
            "jamfClientSecret": self.jamf_client_secret,
            "jamfUsername": self.jamf_username,
            "jamfPassword": self.jamf_password,
            "adminUrl": self.admin_url,
        }

    # ---------------------------------------------------------------- dispatch
    def _emulator(self, path: str) -> Emulator | None:
        return next((e for e in self.emulators if e.serves(path)), None)

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        path = request.path
        if path.startswith("/_sandbox"):
            return await handler(request)
        self.requests[f"{request.method} {path_template(path)}"] += 1
        for rule in self.faults.decide(request.method, path):
            if rule.kind == "slow":
                await asyncio.sleep(rule.delay_seconds)
            elif rule.kind == "reset":
                if request.transport is not None:
                    request.transport.abort()
                raise ConnectionResetError("sandbox fault: connection reset")
            elif rule.kind == "token-expiry":
                self.tokens.drop(request)
            else:
                return self._fault_response(request, int(rule.kind))
        return await handler(request)

    def _fault_response(self, request: web.Request, status: int) -> web.StreamResponse:
        emulator = self._emulator(request.path)
        if emulator is not None:
            return emulator.fault_response(request, status)
        code, message = FAULT_TEXT[status]
        reply = graph_error(status, code, message, request.headers.get("client-request-id"))
        reply.headers.update(self.context.retry_headers(status))
        return to_response(reply)

    async def _route(self, request: web.Request) -> web.StreamResponse:
        if request.path.startswith("/_sandbox/"):
            return await admin(request, self)
        emulator = self._emulator(request.path)
        if emulator is None:
            return to_response(Reply(404, {"error": "not found"}))
        return await emulator.handle(request)

    # ---------------------------------------------------------------- clock and fleet
    def advance(self, hours: float = 0.0, *, minutes: float = 0.0) -> datetime:
        """Move the simulated clock; devices check in and act on what is assigned to them."""
        end = self.clock + timedelta(hours=hours, minutes=minutes)
        _simulation.advance(self.devices, self.emulators, self.clock, end)
        self.clock = end
        return end

    def revoke_tokens(self) -> None:
        """Make every issued token invalid, as if they had all expired."""
        self.tokens.clear()

    def set_failure_rate(self, name: str, rate: float) -> None:
        """Make installs of the app/package/policy with this display name, package name,
        policy name or ownership-marker intent fail at ``rate`` (a "bad build")."""
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        self.failure_rates[name] = rate

    # ---------------------------------------------------------------- drift helpers
    def add_all_devices_assignment(self, app_id: str, intent: str = "required") -> None:
        _drift.add_all_devices_assignment(self.graph, app_id, intent)

    def edit_install_command(self, app_id: str, command: str) -> None:
        _drift.edit_install_command(self.graph, app_id, command, self.clock)

    def disable_jamf_policy(self, policy_id: int) -> None:
        _drift.disable_policy(self.jamf, policy_id)

    def delete_app(self, app_id: str) -> None:
        _drift.delete_app(self.graph, app_id)

    def seed_hand_made(self, windows: int, macos: int) -> dict[str, Any]:
        """Apps and packages an administrator made by hand (no ownership marker)."""
        return seed_hand_made(self.graph, self.jamf, windows, macos)

    # ---------------------------------------------------------------- counters, reset
    def counters(self) -> dict[str, Any]:
        writes = sum(
            v
            for k, v in self.requests.items()
            if k.split(" ", 1)[0] in {"POST", "PUT", "PATCH", "DELETE"}
        )
        return {
            "requests": dict(sorted(self.requests.items())),
            "total": sum(self.requests.values()),
            "writes": writes,
            "stateWrites": {
                "graph": self.graph.writes + self.blob.writes,
                "jamf": self.jamf.writes,
            },
            "faultsInjected": dict(self.faults.injected),
            "graphBatchInner": self.graph_batch_inner,
        }

    def reset_counters(self) -> None:
        self.requests.clear()
        self.graph_emulator.batch_inner = 0
        self.faults.reset()
        self.graph.writes = self.jamf.writes = self.blob.writes = 0

    def reset(self) -> None:
        """Back to the freshly seeded tenant (same credentials and URLs)."""
        self.failure_rates.clear()
        self._build_state()
