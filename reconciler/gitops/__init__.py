"""Git access: fetching fleet repos, commit signatures and approval provenance.

Public API: :func:`fetch` / :func:`open_local` (a :class:`~reconciler.domain.ports.Revision`),
:func:`check_url` / :func:`check_ref`, :class:`GitCredentials` (passed to git through
the environment only), :class:`GitProvenance` (the domain's ``Provenance``),
:func:`commit_signed` for ``eucora approve`` and :func:`build_example_repo`.
"""

from reconciler.gitops._example import GITIGNORE, build_example_repo, commit_as, remove_as
from reconciler.gitops._provenance import GitProvenance
from reconciler.gitops._signing import SigningError, SshVerifier, literal_signers, sign_payload
from reconciler.gitops._source import (
    GitCredentials,
    UnsafeSourceError,
    changed_files,
    check_ref,
    check_url,
    fetch,
    is_ancestor,
    is_shallow,
    open_local,
)
from reconciler.gitops._tree import CommittedTree, committed_tree
from reconciler.gitops._write import (
    SigningNotConfiguredError,
    commit_signed,
    identity,
    signed_document,
)

__all__ = [
    "GITIGNORE",
    "CommittedTree",
    "GitCredentials",
    "GitProvenance",
    "SigningError",
    "SigningNotConfiguredError",
    "SshVerifier",
    "UnsafeSourceError",
    "build_example_repo",
    "changed_files",
    "check_ref",
    "check_url",
    "commit_as",
    "commit_signed",
    "committed_tree",
    "fetch",
    "identity",
    "is_ancestor",
    "is_shallow",
    "literal_signers",
    "open_local",
    "remove_as",
    "sign_payload",
    "signed_document",
]
