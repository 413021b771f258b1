"""Installers for the intent-new tests: ``.intunewin`` as IntuneWinAppUtil lays it out,
flat packages as xar archives (written here per the xar format, or by bsdtar when present)."""

from __future__ import annotations

import hashlib
import shutil
import struct
import subprocess
import zipfile
import zlib
from pathlib import Path

DETECTION = """<?xml version="1.0" encoding="utf-8"?>
<ApplicationInfo xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ToolVersion="1.8.6.0">
  <Name>{setup}</Name>
  <UnencryptedContentSize>640</UnencryptedContentSize>
  <FileName>IntunePackage.intunewin</FileName>
  <SetupFile>{setup}</SetupFile>
  <EncryptionInfo>
    <EncryptionKey>YR+FFofIjrOQJodLu9rV7FG8VDLrhbDQFRnC5YepD+4=</EncryptionKey>
    <MacKey>j9Oo1x6ZunrTXypTRhk293i+6+csoRkmTkzG7k311Ok=</MacKey>
    <InitializationVector>e3iwbMs0fGvqcPAKwk8ZsQ==</InitializationVector>
    <Mac>iwY86J4a0ZpjwbKnLz4KJZIhdh7GhTcFKNxcON1rNcg=</Mac>
    <ProfileIdentifier>ProfileVersion1</ProfileIdentifier>
    <FileDigest>DiLjG5Sud3m6benF9+/S//s/2PhtWnrX/1IkA+rm964=</FileDigest>
    <FileDigestAlgorithm>SHA256</FileDigestAlgorithm>
  </EncryptionInfo>
  {msi}
</ApplicationInfo>
"""
MSI = """<MsiInfo>
    <MsiProductCode>{{23170F69-40C1-2702-2408-000001000000}}</MsiProductCode>
    <MsiProductVersion>24.08.00.0</MsiProductVersion>
    <MsiPackageCode>{{0C1B3E3A-2C4D-4E5F-8A9B-0C1D2E3F4A5B}}</MsiPackageCode>
    <MsiUpgradeCode>{{23170F69-40C1-2702-0000-000004000000}}</MsiUpgradeCode>
    <MsiExecutionContext>{context}</MsiExecutionContext>
    <MsiRequiresLogon>false</MsiRequiresLogon>
    <MsiRequiresReboot>false</MsiRequiresReboot>
    <MsiIsMachineInstall>true</MsiIsMachineInstall>
    <MsiIsUserInstall>false</MsiIsUserInstall>
    <MsiIncludesServices>false</MsiIncludesServices>
    <MsiIncludesODBCDataSource>false</MsiIncludesODBCDataSource>
    <MsiContainsSystemRegistryKeys>true</MsiContainsSystemRegistryKeys>
    <MsiContainsSystemFolders>false</MsiContainsSystemFolders>
    <MsiPublisher>Igor Pavlov</MsiPublisher>
  </MsiInfo>"""

PACKAGE_INFO = """<?xml version="1.0" encoding="utf-8"?>
<pkg-info format-version="2" identifier="{identifier}" version="{version}" install-location="/Applications" auth="root" postinstall-action="{action}">
    <payload numberOfFiles="3" installKBytes="5000"/>
    <bundle path="./{app}.app" id="{bundle}" CFBundleShortVersionString="{version}"/>
</pkg-info>
"""
DISTRIBUTION = """<?xml version="1.0" encoding="utf-8"?>
<installer-gui-script minSpecVersion="2">
    <title>{title}</title>
    <product id="{identifier}" version="{version}"/>
    <pkg-ref id="{identifier}" version="{version}">#core.pkg</pkg-ref>
</installer-gui-script>
"""


def intunewin(path: Path, setup: str = "7z2408-x64.msi", *, msi: bool = True,
              context: str = "System") -> Path:  # fmt: skip
    detection = DETECTION.format(setup=setup, msi=MSI.format(context=context) if msi else "")
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("IntuneWinPackage/Contents/IntunePackage.intunewin", b"\x01" * 656)
        archive.writestr("IntuneWinPackage/Metadata/Detection.xml", detection)
    return path


def package_info(identifier: str = "org.7-zip.7zz.pkg", version: str = "24.08",
                 bundle: str = "org.7-zip.7zz", app: str = "7-Zip", action: str = "none") -> str:  # fmt: skip
    return PACKAGE_INFO.format(identifier=identifier, version=version, bundle=bundle, app=app,
                               action=action)  # fmt: skip


def xar(path: Path, files: dict[str, bytes]) -> Path:
    """A xar archive: gzip (zlib) members, a sha1 TOC checksum at heap offset 0."""
    heap, entries, offset = [b"\0" * 20], [], 20
    for number, (name, data) in enumerate(files.items(), start=2):
        packed = zlib.compress(data)
        heap.append(packed)
        parts = name.split("/")
        inner = (
            f'<file id="{number}"><name>{parts[-1]}</name><type>file</type><data>'
            f"<length>{len(packed)}</length><offset>{offset}</offset><size>{len(data)}</size>"
            '<encoding style="application/x-gzip"/>'
            f'<extracted-checksum style="sha1">{hashlib.sha1(data).hexdigest()}'  # noqa: S324
            "</extracted-checksum></data></file>"
        )
        for depth, directory in enumerate(reversed(parts[:-1])):
            inner = (f'<file id="{number * 100 + depth}"><name>{directory}</name>'
                     f"<type>directory</type>{inner}</file>")  # fmt: skip
        entries.append(inner)
        offset += len(packed)
    toc = ('<?xml version="1.0" encoding="UTF-8"?><xar><toc><checksum style="sha1">'
           "<offset>0</offset><size>20</size></checksum>" + "".join(entries)
           + "</toc></xar>").encode()  # fmt: skip
    compressed = zlib.compress(toc)
    heap[0] = hashlib.sha1(compressed).digest()  # noqa: S324 - the format's own checksum
    header = struct.pack(">4sHHQQI", b"xar!", 28, 1, len(compressed), len(toc), 1)
    path.write_bytes(header + compressed + b"".join(heap))
    return path


def bsdtar_xar(path: Path, files: dict[str, bytes]) -> Path | None:
    """The same archive made by libarchive's bsdtar (None when it is not installed)."""
    if shutil.which("bsdtar") is None:
        return None
    source = path.with_suffix(".d")
    for name, data in files.items():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_bytes(data)
    subprocess.run(["bsdtar", "--format", "xar", "-cf", str(path), "-C", str(source), *files],
                   check=True)  # fmt: skip
    return path
