"""Graph handlers of an app's content: content versions, files, their storage URIs
(issued into the shared :class:`~.._blob.BlobStore`, renewed when they expire) and commit.

Pending states resolve on a later poll, as in the service; a commit succeeds when the
block list put to blob storage holds exactly ``sizeEncrypted`` bytes and, for app types
whose content the client encrypts itself (macOS ``.pkg`` / ``.dmg``), when the
``fileEncryptionInfo`` sent at commit opens it (:mod:`.._encryption`: MAC, key, size,
digest). The type cast segment must name the app's own ``@odata.type``, whichever
mobileApp type it is.
"""

from __future__ import annotations

from typing import Any

from reconciler.sandbox._blob import UPLOADABLE, ContentFile
from reconciler.sandbox._encryption import content_problem
from reconciler.sandbox._fleet import iso
from reconciler.sandbox._wire import Reply
from reconciler.sandbox.graph._app_types import app_type
from reconciler.sandbox.graph._state import MOBILE_APPS, App, GraphError, GraphState, Route

# the type cast segment may use the namespace's alias (``graph.``), as Microsoft's SDKs do
_CV = MOBILE_APPS + r"/(?P<app>[^/]+)/(?P<t>(?:microsoft\.)?graph\.[A-Za-z0-9]+)/contentVersions"
_FILE = _CV + r"/(?P<cv>[^/]+)/files/(?P<f>[^/]+)"
CONTENT_ROUTES: list[Route] = [
    ("POST", _CV, "create_content_version"),
    ("GET", _CV, "list_content_versions"),
    ("GET", _CV + r"/(?P<cv>[^/]+)", "get_content_version"),
    ("POST", _CV + r"/(?P<cv>[^/]+)/files", "create_file"),
    ("GET", _CV + r"/(?P<cv>[^/]+)/files", "list_files"),
    ("GET", _FILE, "get_file"),
    ("POST", _FILE + "/commit", "commit_file"),
    ("POST", _FILE + "/renewUpload", "renew_upload"),
]


class ContentHandlers(GraphState):
    def _typed(self, app: str, t: str, version: str) -> App:
        found = self.app(app, version)
        if "#microsoft." + t.removeprefix("microsoft.") != found.data["@odata.type"]:
            raise GraphError(
                400, "BadRequest", f"Type cast segment '{t}' does not match the app's type."
            )
        return found

    def create_content_version(
        self, *, version: str, query: dict[str, str], body: Any, app: str, t: str
    ) -> Reply:
        found = self._typed(app, t, version)
        cv = str(len(found.content_versions) + 1)
        found.content_versions[cv] = {}
        self.writes += 1
        return Reply(201, {"@odata.type": "#microsoft.graph.mobileAppContent", "id": cv})

    def list_content_versions(
        self, *, version: str, query: dict[str, str], body: Any, app: str, t: str
    ) -> Reply:
        found = self._typed(app, t, version)
        return Reply(200, {"value": [{"id": cv} for cv in found.content_versions]})

    def get_content_version(
        self, *, version: str, query: dict[str, str], body: Any, app: str, t: str, cv: str
    ) -> Reply:
        self._files(app, t, cv, version)
        return Reply(200, {"@odata.type": "#microsoft.graph.mobileAppContent", "id": cv})

    def _files(self, app: str, t: str, cv: str, version: str) -> dict[str, ContentFile]:
        found = self._typed(app, t, version)
        files = found.content_versions.get(cv)
        if files is None:
            raise GraphError(404, "ResourceNotFound", f"Content version {cv} not found.")
        return files

    def _file(self, app: str, t: str, cv: str, f: str, version: str) -> ContentFile:
        file = self._files(app, t, cv, version).get(f)
        if file is None:
            raise GraphError(404, "ResourceNotFound", f"Content file {f} not found.")
        return file

    def create_file(
        self, *, version: str, query: dict[str, str], body: Any, app: str, t: str, cv: str
    ) -> Reply:
        files = self._files(app, t, cv, version)
        if not isinstance(body, dict):
            raise GraphError(400, "BadRequest", "Request body must be a JSON object.")
        missing = [k for k in ("name", "size") if body.get(k) in (None, "")]
        if missing:
            raise GraphError(400, "BadRequest", f"Required property '{missing[0]}' is missing.")
        for key in ("size", "sizeEncrypted"):
            if key in body and (not isinstance(body[key], int) or body[key] < 0):
                raise GraphError(
                    400, "BadRequest", f"Property '{key}' must be a non-negative integer."
                )
        file = ContentFile(
            id=self.new_id("file"),
            name=str(body["name"]),
            size=int(body["size"]),
            size_encrypted=int(body.get("sizeEncrypted") or body["size"]),
            upload_state="azureStorageUriRequestPending",
            created=iso(self.now()),
        )
        files[file.id] = file
        self.blob.files[file.id] = file
        self.writes += 1
        return Reply(201, file.to_json(self.base_url))

    def list_files(
        self, *, version: str, query: dict[str, str], body: Any, app: str, t: str, cv: str
    ) -> Reply:
        files = self._files(app, t, cv, version)
        return Reply(
            200, {"value": [self._advance_file(f).to_json(self.base_url) for f in files.values()]}
        )

    def get_file(
        self, *, version: str, query: dict[str, str], body: Any, app: str, t: str, cv: str, f: str
    ) -> Reply:
        file = self._advance_file(self._file(app, t, cv, f, version))
        return Reply(200, file.to_json(self.base_url))

    def _advance_file(self, file: ContentFile) -> ContentFile:
        # Pending states resolve on the poll after the one that first sees them, like the
        # real service which answers "pending" at least once.
        file.polls += 1
        if file.upload_state.endswith("Pending") and file.upload_state.startswith("azure"):
            file.issue_sas(self.now(), self.blob.sas_lifetime)
        if file.upload_state == "azureStorageUriRequestPending" and file.polls >= 1:
            file.upload_state = "azureStorageUriRequestSuccess"
        elif file.upload_state == "azureStorageUriRenewalPending" and file.polls >= 1:
            file.upload_state = "azureStorageUriRenewalSuccess"
        elif file.upload_state == "commitFilePending":
            if file.committed_bytes == file.size_encrypted and file.commit_problem is None:
                file.upload_state = "commitFileSuccess"
            else:
                file.upload_state = "commitFileFailed"
        return file

    def commit_file(
        self, *, version: str, query: dict[str, str], body: Any, app: str, t: str, cv: str, f: str
    ) -> Reply:
        file = self._file(app, t, cv, f, version)
        if not isinstance(body, dict) or not isinstance(body.get("fileEncryptionInfo"), dict):
            raise GraphError(
                400, "BadRequest", "Required parameter 'fileEncryptionInfo' is missing."
            )
        _require_uploadable(file, "it cannot be committed now")
        if file.committed_bytes < 0:
            raise GraphError(
                400, "BadRequest", "No block list has been committed to the storage URI."
            )
        kind = app_type(self.app(app, version).data["@odata.type"])
        file.commit_problem = (
            content_problem(file.content or b"", body["fileEncryptionInfo"], file.size)
            if kind is not None and kind.client_encrypts
            else None
        )
        file.upload_state = "commitFilePending"
        file.polls = 0
        self.writes += 1
        return Reply(204)

    def renew_upload(
        self, *, version: str, query: dict[str, str], body: Any, app: str, t: str, cv: str, f: str
    ) -> Reply:
        file = self._file(app, t, cv, f, version)
        _require_uploadable(file, "its storage URI cannot be renewed now")
        file.upload_state = "azureStorageUriRenewalPending"
        file.polls = 0
        self.writes += 1
        return Reply(204)


def _require_uploadable(file: ContentFile, consequence: str) -> None:
    if file.upload_state not in UPLOADABLE:
        raise GraphError(400, "BadRequest", f"File is in state {file.upload_state}; {consequence}.")
