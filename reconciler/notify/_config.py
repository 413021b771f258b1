"""Notification settings: which webhooks and commit statuses a source's passes report to.

One shape (``schemas/notifications.schema.json``) in two places: a GitSource's
``spec.notifications``, whose URLs and tokens are keys of Secrets, and the file given to
``eucora reconcile --notifications``, whose URLs and tokens are environment variables.
:func:`parse` takes the document and a resolver that turns each reference into its value,
so neither place's way of holding secrets leaks into the other.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator

from reconciler.domain.documents.schemas import bundled
from reconciler.domain.errors import ConfigurationError

DEFAULT_API = {"github": "https://api.github.com", "gitlab": "https://gitlab.com/api/v4"}


class Kind(enum.StrEnum):
    """What happened, as a notification names it."""

    PROMOTION = "promotion"
    HOLD = "hold"
    CAB_APPROVAL_NEEDED = "cab-approval-needed"
    HALT = "halt"
    ROLLBACK = "rollback"
    COMPLETE = "complete"
    DRIFT_CORRECTED = "drift-corrected"
    DRIFT_REPORTED = "drift-reported"
    WRITE_FAILED = "write-failed"


class Channel(enum.StrEnum):
    TEAMS = "teams"
    SLACK = "slack"
    JSON = "webhook"


@dataclass(frozen=True, slots=True)
class Webhook:
    channel: Channel
    url: str
    kinds: frozenset[Kind]

    def __repr__(self) -> str:  # the URL is a secret (Slack and Teams URLs carry a token)
        return f"Webhook({self.channel.value}, kinds={sorted(self.kinds)})"


@dataclass(frozen=True, slots=True)
class CommitStatusTarget:
    provider: str  # github | gitlab
    repository: str
    api_url: str
    context: str
    token: str

    def __repr__(self) -> str:
        return f"CommitStatusTarget({self.provider}, {self.repository}, {self.context})"


@dataclass(frozen=True, slots=True)
class NotificationConfig:
    webhooks: tuple[Webhook, ...] = ()
    commit_status: CommitStatusTarget | None = None
    dashboard_url: str = ""

    @property
    def empty(self) -> bool:
        return not self.webhooks and self.commit_status is None


#: a reference (``{"secretRef": …}`` or ``{"urlEnv": …}``) → the secret it names
Resolve = Callable[[Mapping[str, Any], str], str]


def check(document: Any, where: str) -> None:
    """Schema errors as one ConfigurationError naming the field."""
    validator = Draft202012Validator(bundled("notifications.schema.json"))
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        path = ".".join(str(p) for p in first.absolute_path) or "(top)"
        raise ConfigurationError(f"{where}: {path}: {first.message}")


def parse(document: Mapping[str, Any], resolve: Resolve, where: str) -> NotificationConfig:
    check(document, where)
    default = frozenset(Kind(k) for k in document.get("events") or [k.value for k in Kind])
    webhooks = []
    for channel, key in ((Channel.TEAMS, "teams"), (Channel.SLACK, "slack"),
                         (Channel.JSON, "webhooks")):  # fmt: skip
        for index, item in enumerate(document.get(key) or ()):
            url = resolve(item, f"{where}: {key}[{index}]")
            kinds = frozenset(Kind(k) for k in item["events"]) if "events" in item else default
            webhooks.append(Webhook(channel, url, kinds))
    status = None
    if (spec := document.get("commitStatus")) is not None:
        provider = spec["provider"]
        token = resolve(
            {"secretRef": spec["tokenSecretRef"]} if "tokenSecretRef" in spec else
            {"urlEnv": spec["tokenEnv"]} if "tokenEnv" in spec else {},
            f"{where}: commitStatus.token",
        )  # fmt: skip
        api = str(spec.get("apiUrl") or DEFAULT_API[provider]).rstrip("/")
        context = spec.get("context") or "eucora/rollout"
        status = CommitStatusTarget(provider, spec["repository"], api, context, token)
    return NotificationConfig(tuple(webhooks), status, str(document.get("dashboardUrl") or ""))


def from_env(env: Mapping[str, str]) -> Resolve:
    """The standalone resolver: references name environment variables."""

    def resolve(ref: Mapping[str, Any], where: str) -> str:
        if "secretRef" in ref:
            raise ConfigurationError(f"{where}: secretRef works in a GitSource; use urlEnv here")
        name = ref.get("urlEnv")
        if not name:
            raise ConfigurationError(f"{where}: needs urlEnv (tokenEnv) naming a variable")
        value = env.get(str(name), "")
        if not value:
            raise ConfigurationError(f"{where}: environment variable {name} is not set")
        return value

    return resolve


def load_file(path: Path, env: Mapping[str, str] | None = None) -> NotificationConfig:
    """The standalone notifications file."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigurationError(f"{path}: cannot be read: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigurationError(f"{path}{line}: not YAML: {exc}") from exc
    if not isinstance(document, Mapping):
        raise ConfigurationError(f"{path}: expected a mapping of notification settings")
    return parse(document, from_env(os.environ if env is None else env), str(path))
