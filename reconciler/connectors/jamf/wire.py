"""Jamf Pro's wire forms: Classic API lists and XML, Jamf Pro API paging and RSQL.

Sits under the observe and apply steps of the ``jamf`` provider: the small parsers and
builders every Jamf module uses (Classic JSON lists that arrive wrapped or bare, XML bodies,
the id of a Classic create, RSQL equality).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from typing import Any

import httpx

from reconciler.domain.errors import PermanentTenantError

JSON = {"Accept": "application/json"}
XML = {"Content-Type": "application/xml", "Accept": "application/xml"}
CREATED_ID = re.compile(r"<id>\s*(-?\d+)\s*</id>")


def entries(value: Any, tag: str) -> Iterable[dict[str, Any]]:
    """Classic JSON lists arrive as a list, or wrapped as ``{tag: item | [items]}``."""
    if isinstance(value, dict):
        value = value.get(tag, [])
    if isinstance(value, dict):
        value = [value]
    return [v for v in value or [] if isinstance(v, dict)]


def ids(value: Any, tag: str) -> list[str]:
    return [str(e["id"]) for e in entries(value, tag) if e.get("id") is not None]


def truthy(value: Any) -> bool:
    return value is True or str(value).strip().lower() == "true"


def pairs(params: Any) -> list[tuple[str, Any]]:
    return list(params.items()) if isinstance(params, dict) else list(params)


def rsql_equals(field_name: str, value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'{field_name}=="{escaped}"'


def created_id(response: httpx.Response) -> str:
    match = CREATED_ID.search(response.text)
    if match is None:
        raise PermanentTenantError(
            f"jamf answered a create without an id: {response.text[:200]!r}", service="jamf"
        )
    return match[1]


def child(root: ET.Element, tag: str) -> ET.Element:
    node = root.find(tag)
    if node is None:  # pragma: no cover - built by this module
        raise KeyError(tag)
    return node


def to_xml(root: ET.Element) -> bytes:
    text: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return text
