"""The domain is grouped by flow step: no reference to the former flat layout is left.

A branch that still writes ``reconciler.domain.<module>`` for a moved module fails here;
``python tools/domain_moves.py --rewrite-only`` fixes it.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("domain_moves", ROOT / "tools" / "domain_moves.py")
assert _spec is not None and _spec.loader is not None
moves = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(moves)


def test_every_moved_module_is_in_its_group() -> None:
    domain = ROOT / "reconciler" / "domain"
    for module, group in moves.MOVES.items():
        assert (domain / group / f"{module}.py").is_file() or (domain / group / module).is_dir()
        assert not (domain / f"{module}.py").exists() and not (domain / module).exists()
    assert {p.stem for p in domain.glob("*.py")} == {"__init__", *moves.ROOT_MODULES}


def test_no_old_path_is_left() -> None:
    stale = [
        str(p.relative_to(ROOT))
        for p in moves._files()
        if moves.rewrite_text(p.read_text(encoding="utf-8")) != p.read_text(encoding="utf-8")
    ]
    assert stale == [], "run: python tools/domain_moves.py --rewrite-only"


def test_rewrite_is_idempotent_and_covers_every_form() -> None:
    old = (
        "from reconciler.domain.models import X\n"
        "from reconciler.domain import schemas\n"
        "import reconciler.domain.plan._build\n"
        'patch("reconciler.domain.governance.evaluate_governance")\n'
        "see reconciler/domain/loader.py and domain/plan/ and `domain.cab`\n"
        "reconciler.domain.errors reconciler.domain.tenant reconciler.domain.planning\n"
    )
    new = moves.rewrite_text(old)
    assert new == (
        "from reconciler.domain.documents.models import X\n"
        "from reconciler.domain.documents import schemas\n"
        "import reconciler.domain.planning.plan._build\n"
        'patch("reconciler.domain.evaluation.governance.evaluate_governance")\n'
        "see reconciler/domain/documents/loader.py and domain/planning/plan/ and "
        "`domain.evaluation.cab`\n"
        "reconciler.domain.errors reconciler.domain.tenant reconciler.domain.planning\n"
    )
    assert moves.rewrite_text(new) == new
