"""``eucora example init``: the example fleet repo as a git repository with history.

Intents are committed by their requesters; fleet configuration and incidents by the
platform and operations teams; every approval carries its approver's eucora signature over
its content and is committed by the approver with a signed commit (demo keys from
``examples/keys/``). Two approvals are added that must be refused: a forged one (claims to
be a CAB member, signed by a key outside the signers file) and a stale one (bound to an
earlier version of its intent). Dates come from the documents, so the history is the same
on every run; ``eucora example init`` moves them all by whole days so that the tour's
"today" (:data:`TOUR_DAY`) is the day it runs, and approvals never expire under it.
Intents keep their dates (they are part of the digests the approvals bind to).

The new repo is self-contained: a copy of the JSON Schemas in ``schemas/`` that every
document's ``yaml-language-server`` line points to, and a ``.gitignore`` that keeps the
state store and audit log (``.eucora/``) out of it.
"""

from __future__ import annotations

import re
import shutil
import stat
import tempfile
from datetime import date, timedelta
from pathlib import Path, PurePosixPath
from typing import Any

import git

from reconciler.domain.documents.digest import intent_digest
from reconciler.domain.documents.yamlsource import parse_yaml
from reconciler.gitops._write import sign_document

PLATFORM = ("Carol Nguyen", "carol.nguyen@contoso.example")
OPERATIONS = ("Grace Kim", "grace.kim@contoso.example")
SETUP_DATE = "2026-05-04T09:00:00+00:00"
LEVEL_DATE = "2026-09-14T09:00:00+00:00"
#: the day the example's documents were written for (its approvals are fresh on it)
TOUR_DAY = date(2026, 11, 23)
GITIGNORE = "# EUCORA's local state store and audit log (eucora reconcile)\n.eucora/\n"
_DATE = re.compile(r"(?<![\d-])(\d{4}-\d{2}-\d{2})(?=[T\s\"',\]}]|$)", re.M)
_MODELINE = re.compile(r"^(# yaml-language-server: \$schema=)(?:\.\./)*schemas/", re.M)
#: documents whose dates move with the tour; intents, exceptions and the fleet config do not
#: (approvals bind to intent and exception digests, and the out-of-band trust root names the
#: fleet config's digest)
_SHIFTED = ("approvals/", "incidents/")


def shift_dates(text: str, days: int) -> str:
    """Every ISO date in ``text`` (alone or starting a date-time) moved by ``days``."""
    if not days:
        return text
    return _DATE.sub(lambda m: (date.fromisoformat(m[1]) + timedelta(days=days)).isoformat(), text)


def local_schema_lines(text: str, rel: str) -> str:
    """``$schema=`` lines pointing at the repo's own ``schemas/`` copy from ``rel``."""
    up = "../" * (len(PurePosixPath(rel).parts) - 1)
    return _MODELINE.sub(lambda m: f"{m[1]}{up}schemas/", text)


def _identity(author: tuple[str, str], date: str) -> dict[str, str]:
    """Author and committer (the same person) and date of an example commit."""
    return {
        "GIT_AUTHOR_NAME": author[0],
        "GIT_AUTHOR_EMAIL": author[1],
        "GIT_AUTHOR_DATE": date,
        "GIT_COMMITTER_NAME": author[0],
        "GIT_COMMITTER_EMAIL": author[1],
        "GIT_COMMITTER_DATE": date,
    }


class _Builder:
    def __init__(
        self, source: Path, target: Path, keys: Path, key_dir: Path, *, days: int = 0
    ) -> None:
        self.source = source
        self.target = target
        self.keys = keys
        self.key_dir = key_dir
        self.days = days
        self.repo = git.Repo.init(target, initial_branch="main")

    def _text(self, rel: str, text: str) -> str:
        if rel.endswith((".yaml", ".yml")):
            text = local_schema_lines(text, rel)
            if rel.startswith(_SHIFTED):
                text = shift_dates(text, self.days)
        return text

    def key(self, principal: str) -> str:
        name = principal.split("@", maxsplit=1)[0]
        private = self.key_dir / name
        if not private.exists():
            shutil.copyfile(self.keys / name, private)
            private.chmod(stat.S_IRUSR | stat.S_IWUSR)
        return str(private)

    def attested(self, rel: str, text: str | None, principal: str) -> bytes:
        """The approval ``rel`` (its text, or the example's file) as written into the repo
        (dates moved, schema hint local), then signed by ``principal``: bytes, which
        :meth:`commit` writes as they are, so nothing changes what was signed."""
        content = text if text is not None else (self.source / rel).read_text(encoding="utf-8")
        return sign_document(self._text(rel, content), self.key(principal)).encode("utf-8")

    def commit(
        self,
        files: dict[str, str | bytes | None],
        message: str,
        author: tuple[str, str],
        date: str,
        *,
        sign_as: str | None = None,
    ) -> None:
        for rel, given in files.items():
            path = self.target / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            content = given
            if content is None and rel.endswith((".yaml", ".yml")):
                content = (self.source / rel).read_text(encoding="utf-8")
            if content is None:
                shutil.copyfile(self.source / rel, path)
            elif isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(self._text(rel, content), encoding="utf-8")
        when = shift_dates(date, self.days)
        env = {
            **_identity(author, when),
            "GIT_CONFIG_COUNT": "2",
            "GIT_CONFIG_KEY_0": "gpg.format",
            "GIT_CONFIG_VALUE_0": "ssh",
            "GIT_CONFIG_KEY_1": "user.signingkey",
            "GIT_CONFIG_VALUE_1": self.key(sign_as) if sign_as else "",
        }
        with self.repo.git.custom_environment(**env):
            self.repo.git.add("--", *files)
            args = ["-S"] if sign_as else ["--no-gpg-sign"]
            self.repo.git.commit(*args, "-q", "-m", message)


def _load(text: str, where: str) -> Any:
    """Parsed like the loader parses (timestamps stay strings, so digests match)."""
    parsed = parse_yaml(text, where)
    if parsed.findings or len(parsed.documents) != 1:
        raise ValueError(f"{where}: not a single valid YAML document")
    return parsed.documents[0].data


def _spec(path: Path) -> dict[str, Any]:
    data = _load(path.read_text(encoding="utf-8"), str(path))
    if not isinstance(data, dict) or not isinstance(data.get("spec"), dict):
        raise ValueError(f"{path}: not a fleet-repo document")
    spec: dict[str, Any] = data["spec"]
    return spec


def build_example_repo(
    source: Path,
    target: Path,
    keys: Path,
    *,
    today: date | None = None,
    schemas: Path | None = None,
) -> Path:
    """Create ``target`` (must not exist or be empty) from the example at ``source``;
    ``today`` moves the history so that it is the tour's day; ``schemas`` is copied into
    ``target/schemas`` for the documents' editor hints."""
    if target.exists() and any(target.iterdir()):
        raise FileExistsError(f"{target} exists and is not empty")
    target.mkdir(parents=True, exist_ok=True)
    days = (today - TOUR_DAY).days if today is not None else 0
    with tempfile.TemporaryDirectory() as key_dir:
        builder = _Builder(source, target, keys, Path(key_dir), days=days)
        _history(builder, source, schemas)
    return target


def _rel(path: Path, source: Path) -> str:
    return path.relative_to(source).as_posix()


def _history(b: _Builder, source: Path, schemas: Path | None) -> None:
    base = ["fleet.yaml", *sorted(_rel(p, source) for p in (source / "risk-models").glob("*"))]
    base += sorted(_rel(p, source) for p in (source / "detection").rglob("*") if p.is_file())
    fleet_final = (source / "fleet.yaml").read_text(encoding="utf-8")
    level_one = fleet_final.replace("level: 2 ", "level: 1 ", 1).replace(
        "since: 2026-09-14", "since: 2026-05-04", 1
    )
    setup: dict[str, str | bytes | None] = dict.fromkeys(base)
    setup["fleet.yaml"] = level_one
    setup[".gitignore"] = GITIGNORE
    for schema in sorted(schemas.glob("*.schema.json")) if schemas else ():
        setup[f"schemas/{schema.name}"] = schema.read_bytes()
    b.commit(setup, "Fleet configuration and risk model v1.1", PLATFORM, SETUP_DATE)
    # the governed change that set today's trust-maturity level: signed by the CAB chair
    b.commit(
        {"fleet.yaml": fleet_final},
        "Raise trust maturity to level 2 after 8 clean weeks",
        PLATFORM,
        LEVEL_DATE,
        sign_as=PLATFORM[1],
    )

    zoom_rel = "intents/zoom-6.2.10.yaml"
    zoom_final = (source / zoom_rel).read_text(encoding="utf-8")
    zoom_draft = zoom_final.replace("targetUsers: 800", "targetUsers: 650")
    intents = sorted((source / "intents").glob("*.yaml"))
    for hour, path in enumerate(intents):
        rel = _rel(path, source)
        spec = _spec(path)
        requester = str(spec["requester"])
        name = requester.split("@", maxsplit=1)[0].replace(".", " ").title()
        files: dict[str, str | bytes | None] = {rel: zoom_draft if rel == zoom_rel else None}
        for platform in ("windows", "macos"):
            package = spec["packages"].get(platform)
            if package:
                files[package["file"]] = None
        date = f"2026-11-1{hour // 10}T{8 + hour % 10:02d}:00:00+00:00"
        b.commit(files, f"Add {path.stem}", (name, requester), date)

    # a stale approval: granted for the first draft of the Zoom intent, which then changed
    draft_digest = intent_digest(_load(zoom_draft, zoom_rel)["spec"])
    stale = (
        "# yaml-language-server: $schema=../schemas/cab-approval.schema.json\n"
        "apiVersion: eucora.io/v1alpha1\nkind: CABApproval\n"
        "metadata:\n  name: zoom-6.2.10-pilot-broad-global-grace.kim\n"
        f'spec:\n  intent: zoom-6.2.10\n  intentDigest: "{draft_digest}"\n'
        "  approver: grace.kim@contoso.example\n  role: operations\n  decision: approved\n"
        "  rings: [pilot, broad, global]\n  approvedAt: 2026-11-17T09:00:00Z\n"
        "  expires: 2027-02-15T00:00:00Z\n  comment: Approved before the target was widened.\n"
    )
    stale_rel = "approvals/zoom-6.2.10-pilot-broad-global-grace.kim.yaml"
    b.commit(
        {stale_rel: b.attested(stale_rel, stale, "grace.kim@contoso.example")},
        "CAB: approve zoom-6.2.10 for pilot, broad, global",
        ("Grace Kim", "grace.kim@contoso.example"),
        "2026-11-17T09:00:00+00:00",
        sign_as="grace.kim@contoso.example",
    )
    b.commit(
        {zoom_rel: zoom_final},
        "Widen zoom-6.2.10 to all meeting-room users",
        ("Priya Shah", "priya.shah@contoso.example"),
        "2026-11-18T10:00:00+00:00",
    )

    for path in sorted((source / "incidents").glob("*.yaml")):
        opened = str(_spec(path)["openedAt"]).replace("Z", "+00:00")
        b.commit({_rel(path, source): None}, f"Record {path.stem}", OPERATIONS, opened)

    for path in sorted((source / "exceptions").glob("*.yaml")):
        spec = _spec(path)
        who = str(spec["requestedBy"])
        b.commit(
            {_rel(path, source): None},
            f"Request exception {path.stem}",
            (who.split("@", maxsplit=1)[0].replace(".", " ").title(), who),
            "2026-11-22T10:00:00+00:00",
        )

    for path in sorted(
        (source / "approvals").glob("*.yaml"), key=lambda p: str(_spec(p)["approvedAt"])
    ):
        spec = _spec(path)
        approver = str(spec["approver"])
        b.commit(
            {_rel(path, source): b.attested(_rel(path, source), None, approver)},
            f"CAB: approve {spec['intent']} for {', '.join(spec['rings'])}",
            (approver.split("@", maxsplit=1)[0].replace(".", " ").title(), approver),
            str(spec["approvedAt"]).replace("Z", "+00:00"),
            sign_as=approver,
        )

    # a forged approval: claims to be Frank Muller, signed with a key the CAB never issued
    gp = _spec(source / "intents" / "globalprotect-6.3.2.yaml")
    forged = (
        "# yaml-language-server: $schema=../schemas/cab-approval.schema.json\n"
        "apiVersion: eucora.io/v1alpha1\nkind: CABApproval\n"
        "metadata:\n  name: globalprotect-6.3.2-pilot-broad-global-frank.muller\n"
        f'spec:\n  intent: globalprotect-6.3.2\n  intentDigest: "{intent_digest(gp)}"\n'
        "  approver: frank.muller@contoso.example\n  role: security\n  decision: approved\n"
        "  rings: [pilot, broad, global]\n  approvedAt: 2026-11-22T23:10:00Z\n"
        "  expires: 2026-12-31T00:00:00Z\n  comment: LGTM\n"
    )
    forged_rel = "approvals/globalprotect-6.3.2-pilot-broad-global-frank.muller.yaml"
    b.commit(
        {forged_rel: b.attested(forged_rel, forged, "mallory.attacker@contoso.example")},
        "CAB: approve globalprotect-6.3.2 for pilot, broad, global",
        ("Frank Muller", "frank.muller@contoso.example"),
        "2026-11-22T23:10:00+00:00",
        sign_as="mallory.attacker@contoso.example",
    )


def commit_as(
    target: Path,
    files: dict[str, str | bytes],
    message: str,
    author: tuple[str, str],
    keys: Path,
    *,
    date: str,
    sign: bool = False,
) -> None:
    """One more commit in an example repo, signed with the author's demo key if asked
    (``eucora demo`` uses it for the CAB approval that arrives mid-rollout)."""
    with tempfile.TemporaryDirectory() as key_dir:
        builder = _Builder(target, target, keys, Path(key_dir))
        contents: dict[str, str | bytes | None] = dict(files)
        builder.commit(contents, message, author, date, sign_as=author[1] if sign else None)


def remove_as(target: Path, file: str, message: str, author: tuple[str, str], *, date: str) -> None:
    """Remove a file from an example repo in a commit by ``author``."""
    repo = git.Repo(target)
    with repo.git.custom_environment(**_identity(author, date)):
        repo.git.rm("-q", "--", file)
        repo.git.commit("--no-gpg-sign", "-q", "-m", message)
