"""Real git fleet repos in tmp dirs, with commits signed by real SSH keys."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from reconciler.domain.loader import load_repo
from reconciler.gitops._example import _Builder
from tests.conftest import EXAMPLE_REPO, ROOT

DEMO_KEYS = ROOT / "examples" / "keys"
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


def signers_file(keys: Path, names: tuple[str, ...], target: Path) -> Path:
    lines = []
    for name in names:
        public = (keys / f"{name}.pub").read_text().split()[:2]
        lines.append(f'{name}@contoso.example namespaces="git" {" ".join(public)}')
    target.write_text("\n".join(lines) + "\n")
    return target


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
        "  approvedAt: 2026-11-22T10:00:00Z",
        f"  expires: {expires}",
    ]
    if role:
        lines.append(f"  role: {role}")
    if exception:
        lines.append(f"  exception: {exception}")
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
