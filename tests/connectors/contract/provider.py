"""What a provider's fixture module hands the contract suite.

A fixture module (``intune.py``, ``jamf.py``, ...) defines one subclass of
:class:`ContractProvider` and lists it in ``conftest.PROVIDERS``. The subclass says how to
open a connector on a sandbox and answers the few questions the suite cannot ask through
the ``TenantConnector`` port: which example intents render for it, which ring groups the
sandbox's fleet has, how to make a look-alike object without the ownership marker, how many
objects the tenant holds (to see duplicates), which request lists the apps.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import httpx

from reconciler.connectors import CircuitBreaker, TokenSource
from reconciler.domain.loader import load_repo
from reconciler.domain.ports import TenantConnector
from reconciler.domain.tenant import Assignment, AssignmentIntent, DesiredApp, TargetKind
from reconciler.packages import PackageSources
from reconciler.sandbox import Sandbox
from tests.conftest import EXAMPLE_REPO

REPO = load_repo(EXAMPLE_REPO).repo
STORE = PackageSources(EXAMPLE_REPO)


async def no_wait(_: float) -> None:
    return None


def targets(*groups: str, intent: AssignmentIntent = AssignmentIntent.REQUIRED) -> list[Assignment]:
    """Group assignments with one intent, as a ring's plan makes them."""
    return [Assignment(TargetKind.GROUP, g, intent) for g in groups]


class ContractProvider(abc.ABC):
    """One MDM as the contract suite drives it."""

    #: the provider name of the registry (``intune``, ``jamf``, ``intune-macos``)
    name: str
    #: the fleet's platform whose devices this provider manages (``windows`` | ``macos``)
    device_platform: str
    #: ring group ids of the example fleet for this provider: lab, canary, pilot
    rings: tuple[str, str, str]
    #: three example intents that render for this provider (the fault sequence)
    intents: tuple[str, str, str]
    #: two more: one that installs well and one to make a bad build of
    good_and_bad: tuple[str, str]
    #: the app listing's page size in :attr:`small_pages`
    small_page: int
    #: the request-counter key of one page of the app listing (``"GET /path"``)
    listing: str
    #: the request-counter key of the write that creates the app object
    creating: str
    #: a fault pattern that makes every snapshot fail
    failing_pattern: str
    #: an app id this tenant does not have
    missing_id: str

    def sandbox_options(self, devices: int) -> dict[str, Any]:
        """``Sandbox`` keyword arguments for a fleet of ``devices`` of this platform."""
        other = "windows" if self.device_platform == "macos" else "macos"
        return {f"devices_{self.device_platform}": devices, f"devices_{other}": 0}

    #: page sizes (keyword arguments of :meth:`open`) small enough to make every list page
    small_pages: Mapping[str, int]

    def connector(
        self,
        sandbox: Sandbox,
        *,
        attempts: int = 10,
        breaker: CircuitBreaker | None = None,
        small_pages: bool = False,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> TenantConnector:
        """A connector on ``sandbox`` whose retries do not sleep."""
        pages = self.small_pages if small_pages else {}
        return self.open(sandbox, attempts=attempts, breaker=breaker, transport=transport, **pages)

    @abc.abstractmethod
    def open(self, sandbox: Sandbox, **options: Any) -> TenantConnector:
        """The provider's connector factory with ``attempts``, ``breaker``, ``transport``
        and, when asked, :attr:`small_pages`."""

    @abc.abstractmethod
    def settings(self, sandbox: Sandbox) -> dict[str, str]:
        """The registry's settings keys (environment / Secret) that point at ``sandbox``."""

    @abc.abstractmethod
    def desired(self, intent: str) -> DesiredApp:
        """The example repo's intent rendered for this provider."""

    def variant(self, app: DesiredApp, n: int) -> DesiredApp:
        """Another intent's app of the same kind, distinct wherever the tenant needs it."""
        return replace(app, intent=f"{app.intent}-{n:02d}")

    @abc.abstractmethod
    def edited(self, app: DesiredApp) -> tuple[DesiredApp, str]:
        """``app`` with one owned property changed, and that property's name."""

    @abc.abstractmethod
    async def make_unmanaged(self, connector: TenantConnector, app: DesiredApp) -> str:
        """A look-alike of ``app`` made by hand in the portal (no marker); its id."""

    @abc.abstractmethod
    def stored(self, sandbox: Sandbox, app_id: str) -> Any:
        """The tenant's own record of an app object (to show it was not touched)."""

    @abc.abstractmethod
    def objects(self, sandbox: Sandbox) -> Mapping[str, int]:
        """How many objects of each kind the tenant holds (a duplicate shows here)."""

    @abc.abstractmethod
    def credentials(self, connector: TenantConnector) -> TokenSource:
        """The token source of the connector's service client."""

    def device_ids(self, sandbox: Sandbox) -> dict[str, Any]:
        """``DeviceInstall.device`` → the simulated device, for this provider's devices."""
        return {
            f"{self.device_platform}:{self.device_key(d)}": d
            for d in sandbox.devices
            if d.platform == self.device_platform
        }

    @abc.abstractmethod
    def device_key(self, device: Any) -> str:
        """The tenant's id of a simulated device."""

    def ring_names(self) -> Mapping[str, str]:
        """Ring group id → the example fleet's ring name."""
        return dict(zip(self.rings, ("lab", "canary", "pilot"), strict=True))

    def assignments(self, *groups: str) -> Sequence[Assignment]:
        return targets(*groups)


@dataclass
class Tenant:
    """A provider's connector on a fresh sandbox with a small fleet."""

    provider: ContractProvider
    sandbox: Sandbox
    connector: TenantConnector
