"""The ``eucora`` command line: thin commands that parse input, call a service, render.

Each command lives in its own module and registers itself on :data:`app`. Rendering
helpers and the single mapping from errors to exit codes live in :mod:`._common`; the
exit-code table itself is :mod:`._exit` (documented in ``docs/cli.md``).
"""

from __future__ import annotations

from reconciler.cli import comment as _comment  # noqa: F401  (registers commands)
from reconciler.cli import dashboard as _dashboard  # noqa: F401
from reconciler.cli import demo as _demo  # noqa: F401
from reconciler.cli import docs as _docs  # noqa: F401
from reconciler.cli import governance as _governance  # noqa: F401
from reconciler.cli import governed as _governed  # noqa: F401
from reconciler.cli import import_ as _import  # noqa: F401
from reconciler.cli import init as _init  # noqa: F401
from reconciler.cli import intent as _intent  # noqa: F401
from reconciler.cli import maturity as _maturity  # noqa: F401
from reconciler.cli import operator as _operator  # noqa: F401
from reconciler.cli import plan as _plan  # noqa: F401
from reconciler.cli import policy as _policy  # noqa: F401
from reconciler.cli import reconcile as _reconcile  # noqa: F401
from reconciler.cli import sandbox as _sandbox  # noqa: F401
from reconciler.cli import validate as _validate  # noqa: F401
from reconciler.cli._common import app


def main() -> None:
    app()


__all__ = ["app", "main"]
