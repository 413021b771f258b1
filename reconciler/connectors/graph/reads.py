"""Graph reads: following ``@odata.nextLink`` pages and running requests through ``$batch``.

Sits in the observe step of every Intune-family provider. :func:`batch` sends read
requests 20 a call (Graph's limit) and sends the inner answers that were throttled or
failed transiently again in a later call, after the largest ``Retry-After`` they carried.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reconciler.connectors.core.http import ServiceClient
from reconciler.domain.errors import TransientTenantError

#: Graph's limit of requests in one $batch
BATCH_SIZE = 20
TRANSIENT = frozenset({429, 500, 502, 503, 504})


async def paged(
    graph: ServiceClient, url: str, params: dict[str, Any] | None
) -> list[dict[str, Any]]:
    """Every item of a collection, all pages."""
    items: list[dict[str, Any]] = []
    next_url: str | None = url
    while next_url:
        body = (await graph.request("GET", next_url, params=params)).json()
        items.extend(body.get("value", []))
        # nextLink is the whole URL, query included
        next_url, params = body.get("@odata.nextLink"), None
    return items


async def batch(
    graph: ServiceClient, requests: Sequence[dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Run read requests through ``$batch`` (20 a call); answers by request id.

    Inner answers that are throttled or failed transiently are sent again in a later
    call, after the largest ``Retry-After`` they carried (or the backoff), as many
    times as the retry policy allows; then a TransientTenantError is raised.
    """
    answers: dict[str, dict[str, Any]] = {}
    pending = list(requests)
    for round_number in range(1, graph.retry.attempts + 1):
        retry: list[dict[str, Any]] = []
        wait = 0.0
        for start in range(0, len(pending), BATCH_SIZE):
            chunk = pending[start : start + BATCH_SIZE]
            by_id = {r["id"]: r for r in chunk}
            body = (
                await graph.request(
                    "POST", "/$batch", json={"requests": chunk}, write=False, cost=len(chunk)
                )
            ).json()
            for answer in body.get("responses", []):
                request = by_id.pop(str(answer.get("id")), None)
                if request is None:
                    continue
                status = int(answer.get("status", 500))
                if status in TRANSIENT:
                    retry.append(request)
                    wait = max(wait, _inner_retry_after(answer))
                else:
                    answers[request["id"]] = answer
            retry.extend(by_id.values())  # requests the service did not answer
        if not retry:
            return answers
        pending = retry
        if round_number < graph.retry.attempts:
            backoff = min(graph.retry.initial * 2**round_number, graph.retry.maximum)
            await graph.sleep(min(wait, graph.retry.max_retry_after) if wait else backoff)
    raise TransientTenantError(
        f"graph $batch: {len(pending)} requests still throttled or failing after "
        f"{graph.retry.attempts} rounds",
        status=429,
        service=graph.service,
    )


def _inner_retry_after(answer: dict[str, Any]) -> float:
    headers = {str(k).lower(): v for k, v in (answer.get("headers") or {}).items()}
    try:
        return max(float(headers.get("retry-after", 0)), 0.0)
    except (TypeError, ValueError):
        return 0.0
