"""HTTP transports that make a connector's process die or its answers go missing.

Real HTTP to the sandbox underneath; the failure is injected between the service having
done the work and the connector hearing of it, which no fault rule of the sandbox can do.
"""

from __future__ import annotations

import httpx

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class ProcessDied(BaseException):
    """The reconciler's process ended right after a write reached the tenant.

    A ``BaseException``, like the signal that ends a process: no retry or error mapping of
    the connector may catch it.
    """


def _tenant_write(request: httpx.Request) -> bool:
    return request.method in WRITES and "token" not in request.url.path


class CrashAfterWrites(httpx.AsyncHTTPTransport):
    """Real HTTP; the process dies once the ``after``-th write has been carried out."""

    def __init__(self, after: int | None = None) -> None:
        super().__init__()
        self.after = after
        self.writes: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(request)
        if _tenant_write(request):
            self.writes.append(f"{request.method} {request.url.path}")
            if len(self.writes) == self.after:
                await response.aread()
                raise ProcessDied(self.writes[-1])
        return response


class LosingTransport(httpx.AsyncHTTPTransport):
    """Real HTTP, but the answer to the first request matching ``lose`` is lost on the way
    back (the service did the work)."""

    def __init__(self, lose: str) -> None:
        super().__init__()
        self.lose = lose
        self.lost = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(request)
        if f"{request.method} {request.url.path}" == self.lose and not self.lost:
            await response.aread()
            self.lost += 1
            raise httpx.ReadError("connection reset by peer", request=request)
        return response
