"""The ``intune-macos`` provider: Macs in the Intune tenant (Graph macOSLobApp / macOSDmgApp).

Same Entra tenant, settings (``INTUNE_*``) and ring groups as the Windows ``intune``
provider; the installer (``.pkg`` or ``.dmg``) arrives unencrypted, so the connector
encrypts it (:mod:`.encryption`) before the content upload. See ``docs/connectors.md``.
"""
