"""The mobileApp types the emulated Intune accepts, and Intune's own checks on them.

Which properties a type has, per API version, is Microsoft's (``graph_schema.json``, from
the SDK models; :mod:`.._odata` checks bodies against it). What the schema does not say is
here, one :class:`AppType` per ``@odata.type``: the device platform that installs it, the
properties the Intune service requires, the defaults it fills in on create and any
further service checks. Adding a mobileApp type is one entry in :data:`APP_TYPES` (and
the type in ``tools/graph_schema.py`` ``ROOTS``): the app, content, assignment and
check-in handlers are generic over it.
"""

from __future__ import annotations

import base64
import binascii
import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from reconciler.sandbox.graph._state import GraphError

#: minimumSupportedWindowsRelease as the portal and real clients (IntuneWin32App) send it;
#: the property is a plain string in the schema, the Intune service checks the value
WINDOWS_RELEASES = {
    "1607", "1703", "1709", "1803", "1809", "1903", "1909", "2004", "2H20", "21H1",
    "Windows10_21H2", "Windows10_22H2", "Windows11_21H2", "Windows11_22H2", "Windows11_23H2",
    "Windows11_24H2",
}  # fmt: skip
RULE_TYPES = {
    "#microsoft.graph.win32LobAppFileSystemRule",
    "#microsoft.graph.win32LobAppRegistryRule",
    "#microsoft.graph.win32LobAppProductCodeRule",
    "#microsoft.graph.win32LobAppPowerShellScriptRule",
}
DEFAULT_RETURN_CODES = [
    {"returnCode": 0, "type": "success"},
    {"returnCode": 1707, "type": "success"},
    {"returnCode": 3010, "type": "softReboot"},
    {"returnCode": 1641, "type": "hardReboot"},
    {"returnCode": 1618, "type": "retry"},
]
#: properties every mobileApp needs on create
COMMON_REQUIRED = ("displayName", "publisher")


def _bad(message: str) -> GraphError:
    return GraphError(400, "BadRequest", message)


@dataclass(frozen=True)
class AppType:
    """One creatable mobileApp type and what the Intune service adds to its schema."""

    odata_type: str
    #: the ``Device.platform`` whose Intune-managed devices install it at check-in
    platform: str
    #: required on create, besides displayName and publisher
    required: tuple[str, ...] = ()
    #: filled in on create when the body leaves them out
    defaults: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    #: further service checks of a create or patch body
    check: Callable[[dict[str, Any]], None] | None = None
    #: the client encrypts the content itself (no packaging tool did): the commit checks
    #: that its fileEncryptionInfo opens the upload
    client_encrypts: bool = False
    #: the property whose value the install-status report shows as AppVersion
    version_property: str = "displayVersion"

    def validate(self, body: dict[str, Any], *, creating: bool) -> None:
        if creating:
            for key in COMMON_REQUIRED + self.required:
                value = body.get(key)
                if not isinstance(value, str) or not value.strip():
                    raise _bad(f"Required property '{key}' is missing or empty.")
        if self.check is not None:
            self.check(body)

    def fill_defaults(self, data: dict[str, Any]) -> None:
        for key, value in self.defaults.items():
            data.setdefault(key, copy.deepcopy(value))


def _check_win32(body: dict[str, Any]) -> None:
    release = body.get("minimumSupportedWindowsRelease")
    if release is not None and release not in WINDOWS_RELEASES:
        raise _bad(
            f"Invalid value '{release}' for minimumSupportedWindowsRelease; expected one of "
            f"{', '.join(sorted(WINDOWS_RELEASES))}."
        )
    rules = body.get("rules")
    if rules is None:
        return
    if not isinstance(rules, list):
        raise _bad("Property 'rules' must be an array.")
    for rule in rules:
        if not isinstance(rule, dict) or rule.get("@odata.type") not in RULE_TYPES:
            raise _bad(
                "Unknown win32LobAppRule type "
                f"{rule.get('@odata.type') if isinstance(rule, dict) else rule!r}."
            )
        if rule["@odata.type"] == "#microsoft.graph.win32LobAppPowerShellScriptRule":
            _check_script_content(rule.get("scriptContent"))


def _check_script_content(content: Any) -> None:
    """Graph stores the detection script itself, base64-encoded, in ``scriptContent``."""
    if not isinstance(content, str) or not content:
        raise _bad("Property 'scriptContent' is required for a PowerShell script rule.")
    try:
        base64.b64decode(content, validate=True)
    except binascii.Error:
        raise _bad("Property 'scriptContent' must be base64-encoded.") from None


WIN32 = AppType(
    "#microsoft.graph.win32LobApp",
    platform="windows",
    required=("fileName", "setupFilePath", "installCommandLine", "uninstallCommandLine"),
    defaults=MappingProxyType(
        {
            "returnCodes": DEFAULT_RETURN_CODES,
            "rules": [],
            "applicableArchitectures": "x64,x86",
            "installExperience": {
                "runAsAccount": "system",
                "deviceRestartBehavior": "basedOnReturnCode",
                "maxRunTimeInMinutes": 60,
            },
        }
    ),
    check=_check_win32,
)
#: macOS bundles an app lists for detection: Graph caps the list at 500 (macOSDmgApp docs)
MAX_BUNDLES = 500


def _check_macos(bundles: str) -> Callable[[dict[str, Any]], None]:
    """minimumSupportedOperatingSystem with exactly one release flag true (Graph: "Exactly
    one of the minimum operating system boolean values will be TRUE"), and detection
    bundles that each name a bundle id."""

    def check(body: dict[str, Any]) -> None:
        minimum = body.get("minimumSupportedOperatingSystem")
        if minimum is not None:
            if not isinstance(minimum, dict):
                raise _bad("Property 'minimumSupportedOperatingSystem' must be an object.")
            chosen = [k for k, v in minimum.items() if k.startswith("v") and v is True]
            if len(chosen) != 1:
                raise _bad(
                    "Exactly one of the minimum operating system boolean values must be true; "
                    f"got {len(chosen)}."
                )
        listed = body.get(bundles)
        if listed is None:
            return
        if not isinstance(listed, list) or len(listed) > MAX_BUNDLES:
            raise _bad(f"Property '{bundles}' must be an array of at most {MAX_BUNDLES} items.")
        for item in listed:
            if not isinstance(item, dict) or not str(item.get("bundleId") or "").strip():
                raise _bad(f"Every entry of '{bundles}' needs a bundleId.")

    return check


MACOS_LOB = AppType(
    "#microsoft.graph.macOSLobApp",
    platform="macos",
    required=("fileName", "bundleId", "buildNumber"),
    defaults=MappingProxyType(
        {"childApps": [], "ignoreVersionDetection": False, "installAsManaged": False}
    ),
    check=_check_macos("childApps"),
    client_encrypts=True,
    version_property="buildNumber",
)
MACOS_DMG = AppType(
    "#microsoft.graph.macOSDmgApp",
    platform="macos",
    required=("fileName", "primaryBundleId", "primaryBundleVersion"),
    defaults=MappingProxyType({"includedApps": [], "ignoreVersionDetection": False}),
    check=_check_macos("includedApps"),
    client_encrypts=True,
    version_property="primaryBundleVersion",
)
APP_TYPES: Mapping[str, AppType] = MappingProxyType(
    {
        t.odata_type: t
        for t in (
            WIN32,
            MACOS_LOB,
            MACOS_DMG,
            AppType(
                "#microsoft.graph.macOSPkgApp",
                platform="macos",
                required=("fileName",),
                client_encrypts=True,
                version_property="primaryBundleVersion",
            ),
        )
    }
)


def app_type(odata_type: Any) -> AppType | None:
    return APP_TYPES.get(odata_type) if isinstance(odata_type, str) else None
