"""Reading members of a xar archive (the container of macOS flat packages, ``.pkg``).

Used by ``eucora intent new`` to find a package's ``PackageInfo`` (and a product archive's
``Distribution``) without unpacking the payload. The format: a 28-byte big-endian header
(magic ``xar!``, header size, version, compressed and uncompressed TOC lengths, checksum
algorithm), the zlib-compressed XML table of contents, then the heap. The TOC's checksum in
the heap is verified, and so is each member's extracted checksum when the TOC gives one.
Sizes are capped: this reads installers people download.
"""

from __future__ import annotations

import bz2
import hashlib
import lzma
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from xml.etree.ElementTree import Element

from defusedxml.ElementTree import ParseError, fromstring

from reconciler.domain.errors import PackageError

MAGIC = b"xar!"
_HEADER = struct.Struct(">4sHHQQI")
_TOC_LIMIT = 16 << 20
MEMBER_LIMIT = 4 << 20
_CHECKSUMS = {1: "sha1", 2: "md5", 3: "sha256", 4: "sha512"}


@dataclass(frozen=True, slots=True)
class Member:
    path: str
    offset: int  # from the start of the heap
    length: int  # archived (possibly compressed) length
    size: int  # extracted size
    encoding: str
    checksum: tuple[str, str] | None  # (algorithm, hex) of the extracted data


class XarArchive:
    """The members of a xar archive at ``path`` (``name`` is used in errors)."""

    def __init__(self, path: Path, name: str) -> None:
        self.path = path
        self.name = name
        with path.open("rb") as stream:
            head = stream.read(_HEADER.size)
            if len(head) < _HEADER.size or not head.startswith(MAGIC):
                raise PackageError(f"{name} is not a flat package (no xar header)")
            _magic, header_size, _version, packed, unpacked, algorithm = _HEADER.unpack(head)
            if unpacked > _TOC_LIMIT or packed > _TOC_LIMIT:
                raise PackageError(f"{name}: its table of contents is implausibly large")
            stream.seek(header_size)
            compressed = stream.read(packed)
        self.heap = header_size + packed
        try:
            toc = zlib.decompress(compressed)
            root = fromstring(toc)
        except (zlib.error, ParseError) as exc:
            raise PackageError(f"{name}: unreadable xar table of contents: {exc}") from exc
        self._check_toc(root, compressed, algorithm)
        self.members = {m.path: m for m in _members(root.find("toc"), "")}

    def _check_toc(self, root: Element, compressed: bytes, algorithm: int) -> None:
        recorded = root.find("toc/checksum")
        hash_name = _CHECKSUMS.get(algorithm)
        if recorded is None or hash_name is None:
            return
        offset, size = _int(recorded.findtext("offset")), _int(recorded.findtext("size"))
        with self.path.open("rb") as stream:
            stream.seek(self.heap + offset)
            stored = stream.read(size)
        if hashlib.new(hash_name, compressed).digest() != stored:
            raise PackageError(f"{self.name}: the xar table of contents fails its checksum")

    def read(self, path: str) -> bytes:
        """The extracted content of one member (at most :data:`MEMBER_LIMIT` bytes)."""
        member = self.members.get(path)
        if member is None:
            raise PackageError(f"{self.name} has no {path}")
        if member.size > MEMBER_LIMIT or member.length > MEMBER_LIMIT:
            raise PackageError(f"{self.name}: {path} is too large to read")
        with self.path.open("rb") as stream:
            stream.seek(self.heap + member.offset)
            data = _decode(stream, member, self.name)
        if member.checksum is not None:
            algorithm, expected = member.checksum
            known = algorithm in hashlib.algorithms_available
            if known and hashlib.new(algorithm, data).hexdigest() != expected.lower():
                raise PackageError(f"{self.name}: {path} fails its {algorithm} checksum")
        return data


def _decode(stream: BinaryIO, member: Member, name: str) -> bytes:
    raw = stream.read(member.length)
    try:
        if member.encoding in ("application/x-gzip", "application/zlib"):
            data = zlib.decompressobj(zlib.MAX_WBITS | 32).decompress(raw, MEMBER_LIMIT + 1)
        elif member.encoding == "application/x-bzip2":
            data = bz2.BZ2Decompressor().decompress(raw, MEMBER_LIMIT + 1)
        elif member.encoding in ("application/x-lzma", "application/x-xz"):
            data = lzma.LZMADecompressor().decompress(raw, MEMBER_LIMIT + 1)
        else:
            data = raw
    except (zlib.error, OSError, lzma.LZMAError) as exc:
        raise PackageError(f"{name}: {member.path} cannot be decompressed: {exc}") from exc
    if len(data) > MEMBER_LIMIT:
        raise PackageError(f"{name}: {member.path} is too large to read")
    return data


def _members(parent: Element | None, prefix: str) -> Iterator[Member]:
    if parent is None:
        return
    for entry in parent.findall("file"):
        path = prefix + (entry.findtext("name") or "")
        if entry.findtext("type") == "directory":
            yield from _members(entry, path + "/")
            continue
        data = entry.find("data")
        if data is None:
            continue
        encoding = data.find("encoding")
        checksum = data.find("extracted-checksum")
        yield Member(
            path,
            _int(data.findtext("offset")),
            _int(data.findtext("length")),
            _int(data.findtext("size")),
            "" if encoding is None else encoding.get("style", ""),
            None
            if checksum is None or not checksum.text
            else (checksum.get("style", "sha1"), checksum.text.strip()),
        )


def _int(text: str | None) -> int:
    try:
        return int(text or "0")
    except ValueError:
        return 0


__all__ = ["MEMBER_LIMIT", "Member", "XarArchive"]
