"""The ``eucora`` command line: thin commands that parse input, call a service, render.

Each command lives in its own module and registers itself on :data:`app`. Rendering
helpers and the single mapping from errors to exit codes live in :mod:`._common`.
Exit codes: 0 success, 1 findings or a failed check, 2 usage or internal error, 3 a
policy deny (``eucora gate``).
"""

from __future__ import annotations

from reconciler.cli import demo as _demo  # noqa: F401  (registers commands)
from reconciler.cli import docs as _docs  # noqa: F401
from reconciler.cli import governance as _governance  # noqa: F401
from reconciler.cli import governed as _governed  # noqa: F401
from reconciler.cli import operator as _operator  # noqa: F401
from reconciler.cli import policy as _policy  # noqa: F401
from reconciler.cli import reconcile as _reconcile  # noqa: F401
from reconciler.cli import sandbox as _sandbox  # noqa: F401
from reconciler.cli import validate as _validate  # noqa: F401
from reconciler.cli._common import app


def main() -> None:
    app()


__all__ = ["app", "main"]
