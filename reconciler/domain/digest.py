"""Intent digest: the identity a CAB approval binds to.

``sha256:<hex>`` of the canonical JSON of an intent's ``spec``: keys sorted, no
insignificant whitespace, UTF-8, numbers as Python's ``json`` writes them. YAML layout
(quoting, flow vs block style, key order, comments, anchors) does not change it; any
change of a value does, including the package hashes. Defaults are not filled in: writing
a default value out explicitly is a change to the document and changes the digest.
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


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


def intent_digest(spec: Mapping[str, Any]) -> str:
    return "sha256:" + hashlib.sha256(canonical_json(spec)).hexdigest()
