"""Delivery: each notice POSTed to each webhook that wants its kind, the rollout's commit
status to GitHub or GitLab, in the background.

:meth:`Notifier.send` and :meth:`Notifier.commit_status` only schedule; a pass never waits
for a webhook. Each request is retried with exponential backoff and jitter (tenacity) on
transport errors, 429 and 5xx, honouring ``Retry-After``; other 4xx answers are final.
Outcomes are counted in ``eucora_notifications_total{channel, result}`` (``sent``,
``failed``) and retries in ``eucora_notification_retries_total{channel}``. URLs and tokens
never reach the logs: a failure is logged with the channel and the HTTP status.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import structlog
from prometheus_client import Counter
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)

from reconciler.notify import _payloads as payloads
from reconciler.notify._config import Channel, NotificationConfig
from reconciler.notify._notices import Notice, RolloutStatus

log = structlog.get_logger("eucora.notify")

NOTIFICATIONS = Counter(
    "eucora_notifications_total", "Notifications delivered or given up on.", ["channel", "result"]
)
RETRIES = Counter(
    "eucora_notification_retries_total", "Notification requests retried.", ["channel"]
)
_BODY = {Channel.TEAMS: payloads.teams, Channel.SLACK: payloads.slack, Channel.JSON: payloads.event}


@dataclass(frozen=True, slots=True)
class Backoff:
    attempts: int = 5
    initial: float = 1.0
    maximum: float = 60.0


class _Retryable(Exception):
    def __init__(self, what: str, retry_after: float | None = None) -> None:
        super().__init__(what)
        self.retry_after = retry_after


class _Final(Exception):
    pass


class Notifier:
    """Sends one source's notices; one instance per source (and per configuration)."""

    def __init__(
        self,
        config: NotificationConfig,
        *,
        client: httpx.AsyncClient | None = None,
        backoff: Backoff = Backoff(),
    ) -> None:
        self.config = config
        self._http = client or httpx.AsyncClient(timeout=10, follow_redirects=False)
        self._backoff = backoff
        self._tasks: set[asyncio.Task[None]] = set()
        self._posted: dict[str, RolloutStatus] = {}

    # ---------------------------------------------------------------- scheduling
    def send(self, notices: Sequence[Notice]) -> None:
        for notice in notices:
            for hook in self.config.webhooks:
                if notice.kind in hook.kinds:
                    self._spawn(
                        self._deliver(hook.channel.value, hook.url, _BODY[hook.channel](notice), {})
                    )

    def commit_status(self, revision: str, status: RolloutStatus, target_url: str = "") -> None:
        """Post ``status`` on ``revision`` unless the same one was posted there already."""
        target = self.config.commit_status
        if target is None or not revision or self._posted.get(revision) == status:
            return
        self._posted = {revision: status}  # only the revision being rolled out matters
        url = target.api_url + payloads.status_path(target.provider, target.repository, revision)
        if target.provider == "github":
            body = payloads.github_status(status, target.context, target_url)
            headers = {"Authorization": f"Bearer {target.token}",
                       "Accept": "application/vnd.github+json",
                       "X-GitHub-Api-Version": "2022-11-28"}  # fmt: skip
        else:
            body = payloads.gitlab_status(status, target.context, target_url)
            headers = {"PRIVATE-TOKEN": target.token}
        self._spawn(self._deliver(target.provider, url, body, headers))

    def _spawn(self, work: Any) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @property
    def pending(self) -> int:
        return len(self._tasks)

    async def drain(self, timeout: float | None = None) -> None:
        """Wait for the deliveries under way (the standalone loop's last pass, tests)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)

    async def aclose(self, timeout: float = 10.0) -> None:
        await self.drain(timeout)
        for task in list(self._tasks):
            task.cancel()
        await self._http.aclose()

    # ---------------------------------------------------------------- delivery
    async def _deliver(self, channel: str, url: str, body: Any, headers: dict[str, str]) -> None:
        # exponential, plus jitter so that many sources do not retry in step
        backoff = wait_exponential(
            multiplier=self._backoff.initial, max=self._backoff.maximum
        ) + wait_random(0, self._backoff.initial)

        def wait(state: RetryCallState) -> float:
            error = state.outcome.exception() if state.outcome else None
            if isinstance(error, _Retryable) and error.retry_after is not None:
                return min(error.retry_after, self._backoff.maximum)
            return float(backoff(state))

        def counted(_: RetryCallState) -> None:
            RETRIES.labels(channel).inc()

        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(self._backoff.attempts), wait=wait,
                retry=retry_if_exception_type(_Retryable), before_sleep=counted, reraise=True,
            ):  # fmt: skip
                with attempt:
                    await self._post(url, body, headers)
        except (_Retryable, _Final) as error:
            NOTIFICATIONS.labels(channel, "failed").inc()
            log.warning("notification not delivered", channel=channel, error=str(error))
            return
        NOTIFICATIONS.labels(channel, "sent").inc()

    async def _post(self, url: str, body: Any, headers: dict[str, str]) -> None:
        try:
            response = await self._http.post(url, json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise _Retryable(type(exc).__name__) from None
        code = response.status_code
        if code == httpx.codes.TOO_MANY_REQUESTS or code >= 500:
            raise _Retryable(f"HTTP {code}", _retry_after(response))
        if code >= 400:
            raise _Final(f"HTTP {code}")


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    try:
        return max(float(value), 0.0)
    except ValueError:
        return None
