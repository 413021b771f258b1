"""Real git fleet repos in tmp dirs, with commits signed by real SSH keys."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from reconciler.domain.governance import GovernanceContext
from reconciler.domain.loader import load_repo
from reconciler.domain.trust import TRUST_ROOT_FILE, load_trust_root
from reconciler.gitops import GitProvenance, SshVerifier
from reconciler.gitops._example import _Builder
from reconciler.gitops._write import sign_document
from reconciler.policy import EmbeddedEngine, load_policy_set
from tests.conftest import EXAMPLE_REPO, ROOT

DEMO_KEYS = ROOT / "examples" / "keys"
#: the built-in policies, which decide CAB approval of each ring as the engine's do
POLICY = EmbeddedEngine(load_policy_set())
NOW_TEXT = "2026-11-23T12:00:00Z"


def make_keys(target: Path, extra: tuple[str, ...] = ("paul.author", "zoe.outsider")) -> Path:
    """Demo keys plus ``extra`` freshly generated ones (ssh-keygen)."""
    shutil.copytree(DEMO_KEYS, target)
    for name in extra:
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(target / name)],
            check=True,
        )
    return target


def signers_file(
    keys: Path, names: tuple[str, ...], target: Path, *, trust: str | None = None
) -> Path:
    """An allowed_signers file for ``names`` and, beside it, the example's trust root (or
    ``trust``): supplied out of band, as in production."""
    lines = []
    for name in names:
        public = (keys / f"{name}.pub").read_text().split()[:2]
        lines.append(f'{name}@contoso.example namespaces="git,eucora" {" ".join(public)}')
    target.write_text("\n".join(lines) + "\n")
    root = trust if trust is not None else (DEMO_KEYS / TRUST_ROOT_FILE).read_text()
    (target.parent / TRUST_ROOT_FILE).write_text(root)
    return target


def context(root: Path, signers: Path | None) -> GovernanceContext:
    """How the engine judges the repo at ``root``: its history, the signers file and the
    trust root beside it."""
    beside = signers.parent / TRUST_ROOT_FILE if signers else None
    return GovernanceContext(
        provenance=GitProvenance(root, signers),
        verifier=SshVerifier(signers),
        trust=load_trust_root(beside)
        if beside and beside.is_file()
        else load_trust_root(DEMO_KEYS / TRUST_ROOT_FILE),
        policy=POLICY,
    )


CAB = ("carol.nguyen", "dev.patel", "erin.okafor", "frank.muller", "grace.kim")

TOOL_INTENT = """\
apiVersion: eucora.io/v1alpha1
kind: DeploymentIntent
metadata:
  name: admin-tool-1.0
spec:
  app: {name: Admin Tool, publisher: Contoso IT, version: "1.0", category: utility}
  requester: omar.haddad@contoso.example
  blastRadius: NON_CRITICAL
  privileged: true
  targetUsers: 40
  packages:
    windows:
      file: packages/windows/admin-tool.intunewin
      sha256: "0000000000000000000000000000000000000000000000000000000000000001"
      installCommand: setup.exe /quiet
      uninstallCommand: setup.exe /uninstall /quiet
      detection: {type: file, path: 'C:\\\\Program Files\\\\AdminTool', fileOrFolderName: tool.exe}
  evidence:
    sbom: {format: cyclonedx}
    scan: {scanner: grype, date: 2026-11-20, critical: 0, high: 0}
    signature: {signed: true, publisherTrusted: true}
  rollout: {until: pilot}
"""


class FleetGit:
    """A fleet repo under construction: commit files as people, signed or not."""

    def __init__(self, root: Path, keys: Path) -> None:
        self.root = root
        self.builder = _Builder(EXAMPLE_REPO, root, keys, root.parent / f"{root.name}-keys")
        self.builder.key_dir.mkdir(exist_ok=True)
        self.clock = 0

    def commit(
        self,
        files: dict[str, str | None],
        author: str,
        *,
        sign_as: str | None = None,
        date: str | None = None,
    ) -> None:
        self.clock += 1
        when = date or f"2026-11-2{self.clock // 24}T{self.clock % 24:02d}:00:00+00:00"
        name = author.split("@", maxsplit=1)[0].replace(".", " ").title()
        self.builder.commit(files, f"change {self.clock}", (name, author), when, sign_as=sign_as)

    def attest(self, text: str, principal: str) -> str:
        """``text`` with ``principal``'s eucora signature (their key from the key dir)."""
        return sign_document(text, self.builder.key(principal))

    def digest(self, intent: str) -> str:
        return load_repo(self.root).repo.intents[intent].digest


def base_repo(root: Path, keys: Path) -> FleetGit:
    repo = FleetGit(root, keys)
    repo.commit(
        {"fleet.yaml": None, "risk-models/v1.1.yaml": None},
        "carol.nguyen@contoso.example",
        date="2026-09-01T09:00:00+00:00",
    )
    for name in ("sap-gui-8.00", "falcon-sensor-7.18", "oracle-jre-8u431"):
        text = (EXAMPLE_REPO / "intents" / f"{name}.yaml").read_text()
        requester = next(line.split(": ")[1] for line in text.splitlines() if "requester:" in line)
        repo.commit({f"intents/{name}.yaml": None}, requester)
    repo.commit({"intents/admin-tool-1.0.yaml": TOOL_INTENT}, "omar.haddad@contoso.example")
    return repo


def approval(
    intent: str,
    digest: str,
    approver: str,
    rings: str = "pilot, broad, global",
    *,
    name: str | None = None,
    role: str | None = None,
    decision: str = "approved",
    expires: str = "2027-01-31T00:00:00Z",
    exception: str | None = None,
    exception_digest: str | None = None,
    approved_at: str = "2026-11-22T10:00:00Z",
) -> str:
    lines = [
        "apiVersion: eucora.io/v1alpha1",
        "kind: CABApproval",
        f"metadata: {{name: {name or intent + '-' + approver.split('@', maxsplit=1)[0]}}}",
        "spec:",
        f"  intent: {intent}",
        f'  intentDigest: "{digest}"',
        f"  approver: {approver}",
        f"  decision: {decision}",
        f"  rings: [{rings}]",
        f"  approvedAt: {approved_at}",
        f"  expires: {expires}",
    ]
    if role:
        lines.append(f"  role: {role}")
    if exception:
        lines.append(f"  exception: {exception}")
        lines.append(f'  exceptionDigest: "{exception_digest or "sha256:" + "0" * 64}"')
    return "\n".join(lines) + "\n"


def clone_with_identity(source: Path, tmp_path: Path, email: str, key: str | None) -> Path:
    """A clone of ``source`` whose git identity is ``email``, signing with the example key
    ``key`` (none: signing not configured)."""
    import stat

    import git

    clone = tmp_path / "clone"
    repo = git.Repo.clone_from(source, clone)
    with repo.config_writer() as config:
        config.set_value("user", "email", email)
        config.set_value("user", "name", email.split("@", maxsplit=1)[0])
        if key:
            private = tmp_path / key
            shutil.copyfile(ROOT / "examples" / "keys" / key, private)
            private.chmod(stat.S_IRUSR | stat.S_IWUSR)
            config.set_value("gpg", "format", "ssh")
            config.set_value("user", "signingkey", str(private))
    return clone
