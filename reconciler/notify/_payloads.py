"""Request bodies for each channel: a Microsoft Teams Adaptive Card, a Slack Block Kit
message, a generic JSON event, and GitHub / GitLab commit statuses.

Teams: a ``message`` with one ``application/vnd.microsoft.card.adaptive`` attachment, what
Teams Workflows ("Post to a channel when a webhook request is received") and the older
incoming-webhook connectors both accept. Slack: ``text`` (the notification fallback) and
``blocks``; ``&``, ``<`` and ``>`` escaped as Slack requires, so a name from Git cannot
form a link or a mention.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from reconciler.notify._notices import Notice, RolloutStatus

_TEAMS_COLOUR = {"error": "Attention", "warning": "Warning", "info": "Good"}
_SLACK_ICON = {
    "error": ":red_circle:",
    "warning": ":large_yellow_circle:",
    "info": ":white_check_mark:",
}


def teams(notice: Notice) -> dict[str, Any]:
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": notice.title, "weight": "Bolder", "size": "Medium",
         "wrap": True, "color": _TEAMS_COLOUR[notice.severity]},
        {"type": "TextBlock", "text": notice.text, "wrap": True},
        {"type": "FactSet", "facts": [{"title": k, "value": v} for k, v in notice.facts]},
    ]  # fmt: skip
    for command in notice.commands:
        body.append({"type": "TextBlock", "text": command, "fontType": "Monospace", "wrap": True})
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    if notice.link:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Open in the dashboard",
                            "url": notice.link}]  # fmt: skip
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None,
             "content": card}
        ],
    }  # fmt: skip


def slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack(notice: Notice) -> dict[str, Any]:
    icon = _SLACK_ICON[notice.severity]
    context = " · ".join(f"*{k}:* {slack_escape(v)}" for k, v in notice.facts)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": notice.title[:150]}},
        {"type": "section",
         "text": {"type": "mrkdwn", "text": f"{icon} {slack_escape(notice.text)}"}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": context}]},
    ]  # fmt: skip
    if notice.commands:
        code = "\n".join(slack_escape(c) for c in notice.commands)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"```{code}```"}})
    if notice.link:
        blocks.append(
            {"type": "actions", "elements": [
                {"type": "button", "text": {"type": "plain_text", "text": "Open in the dashboard"},
                 "url": notice.link}]}
        )  # fmt: skip
    return {"text": f"{notice.title}: {slack_escape(notice.text)}", "blocks": blocks}


def event(notice: Notice) -> dict[str, Any]:
    return {
        "kind": notice.kind.value,
        "severity": notice.severity,
        "reason": notice.reason,
        "intent": notice.intent,
        "ring": notice.ring,
        "title": notice.title,
        "message": notice.text,
        "rules": list(notice.rules),
        "commands": list(notice.commands),
        "revision": notice.revision,
        "source": notice.source,
        "at": notice.at,
        "dashboardUrl": notice.link or None,
    }


def github_status(status: RolloutStatus, context: str, target_url: str) -> dict[str, Any]:
    body = {"state": status.state, "description": status.description, "context": context}
    if target_url:
        body["target_url"] = target_url
    return body


_GITLAB_STATE = {"pending": "running", "success": "success", "failure": "failed"}


def gitlab_status(status: RolloutStatus, context: str, target_url: str) -> dict[str, Any]:
    body = {"state": _GITLAB_STATE[status.state], "name": context,
            "description": status.description}  # fmt: skip
    if target_url:
        body["target_url"] = target_url
    return body


def status_path(provider: str, repository: str, revision: str) -> str:
    if provider == "github":
        return f"/repos/{repository}/statuses/{revision}"
    return f"/projects/{quote(repository, safe='')}/statuses/{revision}"
