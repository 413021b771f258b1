"""State of the emulated Jamf Pro server and what its handlers share: computers (the Macs
enrolled in Jamf), packages and their uploads, computer groups, Classic policies (kept
as the XML the Classic API takes), categories; errors in the Pro API's
``{"httpStatus", "errors": [...]}`` body or as the Classic API's HTML pages.

The handler mixins (:mod:`._packages`, :mod:`._inventory`, :mod:`._groups`,
:mod:`._policies`) and the check-in (:mod:`._checkin`) build on :class:`JamfState`.
"""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from reconciler.sandbox._emulator import Outcomes
from reconciler.sandbox._fleet import DEFAULT_SUCCESS_RATE, Device
from reconciler.sandbox._wire import Reply, classic_error, jamf_error

NOT_FOUND = "The server has not found anything matching the request URI"
XML = "text/xml;charset=UTF-8"


class JamfProError(Exception):
    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.status)
        self.reply = reply


def bad(status: int, code: str, field_name: str | None, description: str) -> JamfProError:
    return JamfProError(jamf_error(status, code, field_name, description))


def classic(status: int, message: str) -> JamfProError:
    return JamfProError(classic_error(status, message))


@dataclass
class ComputerGroup:
    id: int
    name: str
    is_smart: bool = False
    members: list[int] = field(default_factory=list)
    site_id: int = -1


@dataclass
class Policy:
    id: int
    xml: ET.Element

    def text(self, path: str, default: str = "") -> str:
        node = self.xml.find(path)
        return (node.text or "").strip() if node is not None and node.text else default

    @property
    def name(self) -> str:
        return self.text("general/name")

    @property
    def enabled(self) -> bool:
        return self.text("general/enabled", "true").lower() == "true"

    def group_ids(self) -> set[int]:
        return {
            int(e.text)
            for e in self.xml.findall("scope/computer_groups/computer_group/id")
            if e.text and e.text.strip().isdigit()
        }

    def excluded_group_ids(self) -> set[int]:
        return {
            int(e.text)
            for e in self.xml.findall("scope/exclusions/computer_groups/computer_group/id")
            if e.text and e.text.strip().isdigit()
        }

    def all_computers(self) -> bool:
        return self.text("scope/all_computers", "false").lower() == "true"

    def packages(self) -> list[tuple[int, str]]:
        out = []
        for node in self.xml.findall("package_configuration/packages/package"):
            pid = (node.findtext("id") or "").strip()
            if pid.isdigit():
                out.append((int(pid), (node.findtext("action") or "Install").strip()))
        return out


class JamfState:
    """What the emulated Jamf Pro server holds."""

    def __init__(
        self,
        devices: list[Device],
        now: Callable[[], datetime],
        seed: int = 0,
        outcomes: Outcomes | None = None,
    ) -> None:
        #: the Macs enrolled in Jamf Pro (``Device.mdm == "jamf"``)
        self.computers = {d.jamf_id: d for d in devices if d.mdm == "jamf"}
        self.packages: dict[int, dict[str, Any]] = {}
        self.uploads: dict[int, bytes] = {}
        self.groups: dict[int, ComputerGroup] = {}
        self.policies: dict[int, Policy] = {}
        self.categories = {1: "Applications", 2: "Utilities"}
        self.now = now
        self.seed = seed
        self.outcomes = outcomes if outcomes is not None else Outcomes(seed, DEFAULT_SUCCESS_RATE)
        self.base_url = ""
        self.writes = 0
        self._next_package = 1
        self._next_group = 1000
        self._next_policy = 1


def parse_xml(text: str, root_tag: str) -> ET.Element:
    try:
        root = ET.fromstring(text)  # noqa: S314  (local emulator input)
    except ET.ParseError as exc:
        raise classic(400, f"Unable to parse XML: {exc}") from None
    if root.tag != root_tag:
        raise classic(400, f"Expected <{root_tag}> element")
    return root


def ids(root: ET.Element, path: str) -> list[int]:
    out = []
    for node in root.findall(path):
        text = (node.findtext("id") or "").strip()
        if not text.lstrip("-").isdigit():
            raise classic(409, f"Invalid id {text!r} in {path}")
        out.append(int(text))
    return out


def ensure(root: ET.Element, path: str, default: str) -> ET.Element:
    node = root
    for part in path.split("/"):
        child = node.find(part)
        if child is None:
            child = ET.SubElement(node, part)
            if part == path.rsplit("/", maxsplit=1)[-1]:
                child.text = default
        node = child
    return node


def merge(target: ET.Element, update: ET.Element) -> None:
    """Classic PUT semantics: elements present in the update replace those in the target."""
    for child in update:
        existing = target.find(child.tag)
        if (
            existing is not None
            and len(child)
            and child.tag in {"general", "scope", "maintenance", "self_service"}
        ):
            merge(existing, child)
        else:
            if existing is not None:
                target.remove(existing)
            target.append(copy.deepcopy(child))


def xml_text(root: ET.Element) -> str:
    return '<?xml version="1.0" encoding="UTF-8"?>' + ET.tostring(root, encoding="unicode")


def classic_list_xml(root_tag: str, item_tag: str, items: list[dict[str, Any]]) -> Reply:
    """A Classic API list as XML: ``<root><size>N</size><item>…</item>…</root>``."""
    root = ET.Element(root_tag)
    ET.SubElement(root, "size").text = str(len(items))
    for item in items:
        node = ET.SubElement(root, item_tag)
        for key, value in item.items():
            ET.SubElement(node, key).text = (
                str(value).lower() if isinstance(value, bool) else str(value)
            )
    return Reply(200, xml_text(root), content_type=XML)


def id_reply(status: int, tag: str, object_id: int) -> Reply:
    """What a Classic write answers: ``<tag><id>N</id></tag>``."""
    body = f'<?xml version="1.0" encoding="UTF-8"?><{tag}><id>{object_id}</id></{tag}>'
    return Reply(status, body, content_type=XML)
