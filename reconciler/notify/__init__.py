"""Notifications: what a pass changed, told to Microsoft Teams, Slack and JSON webhooks,
and the rollout's state as a commit status on GitHub or GitLab.

Sits above the engine, beside the dashboard: the operator tells each GitSource's passes
(configured by ``spec.notifications``, URLs and tokens in Secrets), ``eucora reconcile
--notifications FILE`` the standalone loop's. Delivery runs in the background, retried with
backoff, and never holds up a pass. See ``docs/operations.md``.
"""

from reconciler.notify._config import (
    Channel,
    CommitStatusTarget,
    Kind,
    NotificationConfig,
    Resolve,
    Webhook,
    check,
    load_file,
    parse,
)
from reconciler.notify._deliver import NOTIFICATIONS, Backoff, Notifier
from reconciler.notify._notices import Notice, RolloutStatus, notices, rollout_status
from reconciler.notify._passes import StoreBasis, tell_intent, tell_pass

__all__ = [
    "NOTIFICATIONS",
    "Backoff",
    "Channel",
    "CommitStatusTarget",
    "Kind",
    "Notice",
    "NotificationConfig",
    "Notifier",
    "Resolve",
    "RolloutStatus",
    "StoreBasis",
    "Webhook",
    "check",
    "load_file",
    "notices",
    "parse",
    "rollout_status",
    "tell_intent",
    "tell_pass",
]
