"""Intent digest: the identity a CAB approval binds to.

``sha256:<hex>`` of the canonical JSON of an intent's ``spec``: keys sorted, no
insignificant whitespace, UTF-8, numbers as Python's ``json`` writes them. YAML layout
(quoting, flow vs block style, key order, comments, anchors) does not change it; any
change of a value does, including the package hashes. Defaults are not filled in: writing
a default value out explicitly is a change to the document and changes the digest.

When the intent deploys or runs other repo files (a detection script, the SBOM file), the
digest covers them too: it is then the hash of ``{"spec": …, "files": {path: sha256:…}}``,
so editing such a file after approval voids the approval like editing the intent does.
Package binaries are covered through the ``sha256`` the spec itself carries.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any


def canonical_json(value: Any) -> bytes:
    """Canonical JSON bytes of a JSON-compatible value (frozen mappings allowed)."""
    return json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=_plain,
    ).encode("utf-8")


def plain(value: Any) -> Any:
    """Frozen mappings and tuples as plain dicts and lists (JSON-shaped data)."""
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


def intent_digest(spec: Mapping[str, Any], files: Mapping[str, bytes | None] | None = None) -> str:
    """The digest of ``spec`` and of the repo files it references (``None``: missing)."""
    if not files:
        return "sha256:" + hashlib.sha256(canonical_json(spec)).hexdigest()
    hashes = {
        path: "missing" if content is None else content_digest(content)
        for path, content in sorted(files.items())
    }
    return "sha256:" + hashlib.sha256(canonical_json({"spec": spec, "files": hashes})).hexdigest()


def content_digest(content: bytes) -> str:
    return "sha256:" + hashlib.sha256(content).hexdigest()


def governed_digest(kind: str, name: str, spec: Mapping[str, Any]) -> str:
    """What a governance or exception approval binds to: kind, name and spec."""
    return (
        "sha256:"
        + hashlib.sha256(canonical_json({"kind": kind, "name": name, "spec": spec})).hexdigest()
    )


def attested_payload(document: Mapping[str, Any]) -> bytes:
    """The bytes a signature covers: the canonical JSON of the document without its
    ``signature`` and editor-only ``$schema`` fields."""
    kept = {k: v for k, v in document.items() if k not in ("signature", "$schema")}
    return canonical_json(kept)
