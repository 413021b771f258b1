"""The ``intune-macos`` provider: Macs in the Intune tenant (Graph macOSLobApp / macOSDmgApp).

Same Entra tenant, settings (``INTUNE_*``) and ring groups as the Windows ``intune``
provider; the installer (``.pkg`` or ``.dmg``) arrives unencrypted, so the connector
encrypts it (:mod:`.encryption`) before the content upload. See ``docs/connectors.md``.
"""

from reconciler.connectors.intune_macos.connector import PROVIDER, IntuneMacosConnector
from reconciler.connectors.intune_macos.encryption import ContentEncryptor, ContentKeys, encrypt
from reconciler.connectors.intune_macos.render import (
    DMG,
    LOB,
    OWNED,
    UnsupportedInstallerError,
    app_type,
    desired_app,
    minimum_os,
)
from reconciler.connectors.intune_macos.settings import (
    IntuneMacosSettings,
    intune_macos_connector,
)

__all__ = [
    "DMG",
    "LOB",
    "OWNED",
    "PROVIDER",
    "ContentEncryptor",
    "ContentKeys",
    "IntuneMacosConnector",
    "IntuneMacosSettings",
    "UnsupportedInstallerError",
    "app_type",
    "desired_app",
    "encrypt",
    "intune_macos_connector",
    "minimum_os",
]
