"""The Classic API's route table (``/JSSResource/…``): computer groups, packages, policies,
computer history and computers, in XML, or JSON when the client sends ``Accept:
application/json``. Unknown paths answer Jamf's HTML 404 page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from reconciler.sandbox._emulator import RouteTable
from reconciler.sandbox._wire import Reply
from reconciler.sandbox.jamf._service import JamfService
from reconciler.sandbox.jamf._state import NOT_FOUND, classic_list_xml


@dataclass(frozen=True)
class ClassicRequest:
    service: JamfService
    text: str  # the XML body of a POST or PUT
    as_json: bool


def _groups(call: ClassicRequest) -> Reply:
    reply = call.service.classic_groups()
    if call.as_json:
        return reply
    return classic_list_xml("computer_groups", "computer_group", reply.body["computer_groups"])


def _group(call: ClassicRequest, gid: str) -> Reply:
    return (
        call.service.classic_group(int(gid)) if call.as_json else call.service.group_xml(int(gid))
    )


def _create_group(call: ClassicRequest, gid: str) -> Reply:
    return call.service.write_group(int(gid), call.text, create=True)


def _update_group(call: ClassicRequest, gid: str) -> Reply:
    return call.service.write_group(int(gid), call.text, create=False)


def _delete_group(call: ClassicRequest, gid: str) -> Reply:
    return call.service.delete_group(int(gid))


def _packages(call: ClassicRequest) -> Reply:
    items = call.service.classic_packages()
    return (
        Reply(200, {"packages": items})
        if call.as_json
        else classic_list_xml("packages", "package", items)
    )


def _policies(call: ClassicRequest) -> Reply:
    return call.service.classic_policies(call.as_json)


def _policy(call: ClassicRequest, pid: str) -> Reply:
    return call.service.policy_reply(int(pid), call.as_json)


def _create_policy(call: ClassicRequest, pid: str) -> Reply:
    return call.service.write_policy(int(pid), call.text, create=True)


def _update_policy(call: ClassicRequest, pid: str) -> Reply:
    return call.service.write_policy(int(pid), call.text, create=False)


def _delete_policy(call: ClassicRequest, pid: str) -> Reply:
    return call.service.delete_policy(int(pid))


def _history(call: ClassicRequest, cid: str) -> Reply:
    return call.service.policy_logs(int(cid), call.as_json)


def _computers(call: ClassicRequest) -> Reply:
    return call.service.classic_computers(None, call.as_json)


def _computer(call: ClassicRequest, cid: str) -> Reply:
    return call.service.classic_computers(cid, call.as_json)


_GROUP = r"/JSSResource/computergroups/id/(?P<gid>-?\d+)"
_POLICY = r"/JSSResource/policies/id/(?P<pid>-?\d+)"
CLASSIC_ROUTES = RouteTable[Callable[..., Reply]](
    [
        ("GET", "/JSSResource/computergroups", _groups),
        ("GET", _GROUP, _group),
        ("POST", _GROUP, _create_group),
        ("PUT", _GROUP, _update_group),
        ("DELETE", _GROUP, _delete_group),
        ("GET", "/JSSResource/packages", _packages),
        ("GET", "/JSSResource/policies", _policies),
        ("GET", _POLICY, _policy),
        ("POST", _POLICY, _create_policy),
        ("PUT", _POLICY, _update_policy),
        ("DELETE", _POLICY, _delete_policy),
        ("GET", r"/JSSResource/computerhistory/id/(?P<cid>\d+)(?:/subset/PolicyLogs)?", _history),
        ("GET", "/JSSResource/computers", _computers),
        ("GET", r"/JSSResource/computers/id/(?P<cid>\d+)", _computer),
    ]
)


def classic_not_found() -> Reply:
    return Reply(
        404,
        f"<html><body><p>{NOT_FOUND}</p></body></html>",
        content_type="text/html;charset=UTF-8",
    )
