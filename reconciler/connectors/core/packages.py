"""The local package store: installer files read from a directory, checked against the intent.

Sits in the apply step: :class:`LocalPackageStore` reads a package from a directory (by
default the fleet repo), refusing paths that leave it, and verifies the SHA-256 and size Git
declares — what is uploaded is what was reviewed. Every provider reads its installer
through it (the domain's ``PackageStore`` port).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from reconciler.domain.errors import PackageError
from reconciler.domain.tenant import PackageRef


class LocalPackageStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()

    def read(self, ref: PackageRef) -> bytes:
        path = (self.root / ref.file).resolve()
        if self.root not in path.parents:
            raise PackageError(f"package {ref.file!r} is outside the package store")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise PackageError(f"package {ref.file!r} cannot be read: {exc.strerror}") from exc
        if ref.size_bytes is not None and len(data) != ref.size_bytes:
            raise PackageError(
                f"package {ref.file!r} is {len(data)} bytes; the intent declares {ref.size_bytes}"
            )
        digest = hashlib.sha256(data).hexdigest()
        if ref.sha256 is not None and digest != ref.sha256:
            raise PackageError(
                f"package {ref.file!r} has sha256 {digest}; the intent declares {ref.sha256}"
            )
        return data
