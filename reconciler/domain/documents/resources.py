"""Where the files shipped with EUCORA live: JSON Schemas, built-in policies, examples.

In a source checkout (and an editable install) they are the top-level ``schemas/``,
``policies/`` and ``examples/`` directories; a wheel carries copies under
``reconciler/_bundled/``. One lookup serves both.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[2]  # reconciler/


def data_dir(name: str) -> Path:
    """Directory of shipped data ``name`` (``schemas``, ``policies`` or ``examples``)."""
    bundled = _PACKAGE / "_bundled" / name
    if bundled.is_dir():
        return bundled
    source = _PACKAGE.parent / name
    if source.is_dir():
        return source
    raise FileNotFoundError(f"EUCORA data directory {name!r} not found (broken installation?)")
