"""Builds a small macOS flat package (a xar archive, as ``pkgbuild``/``productbuild`` write).

The example fleet repo ships real-format installers that install nothing of value: a xar
with ``Distribution``, the component's ``PackageInfo``, a ``Bom`` stand-in and a ``Payload``
(gzip'd odc cpio holding the app's ``Info.plist``), so tools that read packages (``bsdtar``,
``xar``, ``pkgutil --expand``) see the structure they expect. Deterministic: the same
arguments give the same bytes (and so the same sha256 in the intent).

    python tools/flat_pkg.py OUT.pkg --name Rectangle --bundle-id com.knollsoft.Rectangle \\
        --version 0.85 --minimum-os 10.15
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import plistlib
import struct
import zlib
from pathlib import Path
from xml.sax.saxutils import escape

MTIME = 1_764_000_000  # fixed, for reproducible bytes


def _cpio(entries: list[tuple[str, int, bytes]]) -> bytes:
    """An odc ("070707") cpio archive, as a flat package's Payload holds."""
    out = bytearray()
    for ino, (name, mode, data) in enumerate([*entries, ("TRAILER!!!", 0, b"")], start=1):
        encoded = name.encode() + b"\0"
        out += (
            b"070707"
            + (
                f"{0:06o}{ino if name != 'TRAILER!!!' else 0:06o}{mode:06o}{0:06o}{80:06o}"
                f"{1:06o}{0:06o}{MTIME:011o}{len(encoded):06o}{len(data):011o}"
            ).encode()
        )
        out += encoded + data
    return bytes(out)


def build(name: str, bundle_id: str, version: str, minimum_os: str) -> bytes:
    app = f"./{name}.app"
    info = plistlib.dumps(
        {
            "CFBundleIdentifier": bundle_id,
            "CFBundleName": name,
            "CFBundleShortVersionString": version,
            "CFBundleVersion": version,
            "LSMinimumSystemVersion": minimum_os,
        },
        sort_keys=True,
    )
    payload = gzip.compress(
        _cpio(
            [
                (".", 0o40755, b""),
                (app, 0o40755, b""),
                (f"{app}/Contents", 0o40755, b""),
                (f"{app}/Contents/Info.plist", 0o100644, info),
            ]
        ),
        mtime=0,
    )
    component = f"{name}.pkg"
    package_info = (
        f'<?xml version="1.0" encoding="utf-8"?>\n<pkg-info format-version="2" '
        f'identifier="{escape(bundle_id)}.pkg" version="{escape(version)}" '
        f'install-location="/Applications" auth="root">\n'
        f'    <payload numberOfFiles="4" installKBytes="{max(1, len(info) // 1024)}"/>\n'
        f'    <bundle path="{escape(app)}" id="{escape(bundle_id)}" '
        f'CFBundleShortVersionString="{escape(version)}" CFBundleVersion="{escape(version)}"/>\n'
        "</pkg-info>\n"
    ).encode()
    distribution = (
        '<?xml version="1.0" encoding="utf-8"?>\n<installer-gui-script minSpecVersion="2">\n'
        f"    <title>{escape(name)}</title>\n"
        f'    <allowed-os-versions><os-version min="{escape(minimum_os)}"/></allowed-os-versions>\n'
        f'    <pkg-ref id="{escape(bundle_id)}.pkg" version="{escape(version)}" '
        f'onConclusion="none">#{escape(component)}</pkg-ref>\n'
        '    <choices-outline><line choice="default"/></choices-outline>\n'
        "</installer-gui-script>\n"
    ).encode()
    bom = b"BOMStore" + hashlib.sha256(payload).digest()  # a stand-in: never read here
    files = [
        ("Distribution", distribution),
        (f"{component}/PackageInfo", package_info),
        (f"{component}/Bom", bom),
        (f"{component}/Payload", payload),
    ]
    return _xar(files)


def _xar(files: list[tuple[str, bytes]]) -> bytes:
    heap = bytearray(b"\0" * 20)  # the TOC's SHA-1 comes first
    entries: dict[str, list[str]] = {}
    ids = 0

    def element(leaf: str, data: bytes) -> str:
        nonlocal ids
        ids += 1
        offset = len(heap)
        heap.extend(data)
        digest = hashlib.sha1(data).hexdigest()  # noqa: S324 - xar's own checksum format
        return (
            f'<file id="{ids}"><name>{escape(leaf)}</name><type>file</type><mode>0644</mode>'
            f"<data><length>{len(data)}</length><offset>{offset}</offset><size>{len(data)}</size>"
            '<encoding style="application/octet-stream"/>'
            f'<extracted-checksum style="sha1">{digest}</extracted-checksum>'
            f'<archived-checksum style="sha1">{digest}</archived-checksum></data></file>'
        )

    top: list[str] = []
    for path, data in files:
        folder, _, leaf = path.rpartition("/")
        (entries.setdefault(folder, []) if folder else top).append(element(leaf, data))
    for folder, children in entries.items():
        ids += 1
        top.append(
            f'<file id="{ids}"><name>{escape(folder)}</name><type>directory</type>'
            f"<mode>0755</mode>{''.join(children)}</file>"
        )
    toc = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<xar><toc>'
        '<checksum style="sha1"><offset>0</offset><size>20</size></checksum>'
        f"{''.join(top)}</toc></xar>"
    ).encode()
    compressed = zlib.compress(toc, 9)
    heap[0:20] = hashlib.sha1(compressed).digest()  # noqa: S324 - xar's own checksum format
    header = struct.pack(">4sHHQQI", b"xar!", 28, 1, len(compressed), len(toc), 1)
    return header + compressed + bytes(heap)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--name", required=True)
    parser.add_argument("--bundle-id", required=True)
    parser.add_argument("--version", required=True)
    parser.add_argument("--minimum-os", default="11.0")
    args = parser.parse_args()
    data = build(args.name, args.bundle_id, args.version, args.minimum_os)
    args.out.write_bytes(data)
    print(f"{args.out}: {len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()}")


if __name__ == "__main__":
    main()
