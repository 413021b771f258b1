"""Remote package sources: https (httpx) and S3 / Azure Blob (fsspec with s3fs / adlfs).

Each source gives the cache an *opener* (chunks from a byte offset, for resuming) and a
*probe* (does the object exist, how big is it) for ``eucora validate``. Transport failures
become :class:`Interrupted` so the cache resumes; a missing object or refused credentials
are errors that name the package. The S3 and Azure drivers are optional extras
(``eucora-reconciler[s3]`` / ``[azure]``); without them the error says what to install.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from reconciler.domain.documents.package_source import PackageLocation, SourceKind
from reconciler.domain.errors import ConfigurationError, PackageError, PackageUnavailableError
from reconciler.packages._cache import CHUNK, Interrupted, Opener

_TIMEOUT = httpx.Timeout(30.0, read=120.0)
_EXTRAS = {SourceKind.S3: ("s3fs", "s3"), SourceKind.AZURE: ("adlfs", "azure")}


@dataclass(frozen=True, slots=True)
class StoreCredentials:
    """Credentials of the object stores, under the names their own tools read.

    S3: ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``,
    ``AWS_REGION``, ``AWS_ENDPOINT_URL`` (S3-compatible stores). Azure Blob:
    ``AZURE_STORAGE_CONNECTION_STRING``, or ``AZURE_STORAGE_ACCOUNT`` with
    ``AZURE_STORAGE_KEY`` or ``AZURE_STORAGE_SAS_TOKEN``. Absent keys fall back to each
    SDK's own chain (instance roles, workload identity). Never logged.
    """

    values: Mapping[str, str]

    @classmethod
    def from_mapping(cls, values: Mapping[str, str]) -> StoreCredentials:
        known = (*_S3_KEYS, *_AZURE_KEYS, "AWS_DEFAULT_REGION", "AZURE_STORAGE_ACCOUNT_NAME")
        return cls({k: str(v) for k, v in values.items() if k in known and v})

    def __repr__(self) -> str:  # never print the secrets themselves
        return f"StoreCredentials(keys={sorted(self.values)})"

    def s3_options(self) -> dict[str, Any]:
        v = self.values
        options: dict[str, Any] = {}
        if "AWS_ACCESS_KEY_ID" in v:
            options |= {"key": v["AWS_ACCESS_KEY_ID"], "secret": v.get("AWS_SECRET_ACCESS_KEY")}
        if "AWS_SESSION_TOKEN" in v:
            options["token"] = v["AWS_SESSION_TOKEN"]
        client: dict[str, str] = {}
        if region := v.get("AWS_REGION") or v.get("AWS_DEFAULT_REGION"):
            client["region_name"] = region
        if "AWS_ENDPOINT_URL" in v:
            client["endpoint_url"] = v["AWS_ENDPOINT_URL"]
        if client:
            options["client_kwargs"] = client
        return options

    def azure_options(self) -> dict[str, Any]:
        v = self.values
        if "AZURE_STORAGE_CONNECTION_STRING" in v:
            return {"connection_string": v["AZURE_STORAGE_CONNECTION_STRING"]}
        account = v.get("AZURE_STORAGE_ACCOUNT") or v.get("AZURE_STORAGE_ACCOUNT_NAME")
        if not account:
            raise ConfigurationError(
                "an az:// package needs AZURE_STORAGE_CONNECTION_STRING or "
                "AZURE_STORAGE_ACCOUNT in the package store credentials"
            )
        options: dict[str, Any] = {"account_name": account}
        if "AZURE_STORAGE_KEY" in v:
            options["account_key"] = v["AZURE_STORAGE_KEY"]
        elif "AZURE_STORAGE_SAS_TOKEN" in v:
            options["sas_token"] = v["AZURE_STORAGE_SAS_TOKEN"]
        else:
            options["anon"] = False  # DefaultAzureCredential (workload identity, …)
        return options


_S3_KEYS = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_ENDPOINT_URL",
)
_AZURE_KEYS = (
    "AZURE_STORAGE_CONNECTION_STRING",
    "AZURE_STORAGE_ACCOUNT",
    "AZURE_STORAGE_KEY",
    "AZURE_STORAGE_SAS_TOKEN",
)
#: every key the package store reads (the operator copies exactly these from its Secret)
CREDENTIAL_KEYS = (*_S3_KEYS, "AWS_DEFAULT_REGION", *_AZURE_KEYS, "AZURE_STORAGE_ACCOUNT_NAME")


# --- https --------------------------------------------------------------------------


def https_opener(location: PackageLocation) -> Opener:
    @contextlib.contextmanager
    def open_from(offset: int) -> Iterator[tuple[int, Iterator[bytes]]]:
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        try:
            with (
                http_client() as client,
                client.stream("GET", location.url, headers=headers) as response,
            ):
                if response.status_code == 416:
                    yield offset, iter(())
                    return
                _raise_for_http(location, response)
                start = offset if response.status_code == 206 else 0
                yield start, _guarded(response.iter_bytes())
        except httpx.TransportError as exc:
            raise Interrupted(f"{type(exc).__name__}: {exc}") from exc

    return open_from


def _guarded(chunks: Iterator[bytes]) -> Iterator[bytes]:
    try:
        yield from chunks
    except httpx.TransportError as exc:
        raise Interrupted(f"{type(exc).__name__}: {exc}") from exc


def _raise_for_http(location: PackageLocation, response: httpx.Response) -> None:
    status = response.status_code
    if status < 300:
        return
    where = f"package {location.url!r}: HTTP {status}"
    if status in (401, 403):
        raise ConfigurationError(f"{where}: the store refused access")
    if status in (404, 410):
        raise PackageError(f"{where}: the object does not exist")
    if status == 429 or status >= 500:
        raise PackageUnavailableError(f"{where}: retry later")
    raise PackageError(where)


def https_size(location: PackageLocation) -> int | None:
    """The object's size from a HEAD request (None when the server does not say)."""
    try:
        with http_client() as client:
            response = client.head(location.url)
    except httpx.TransportError as exc:
        raise PackageUnavailableError(f"package {location.url!r}: {exc}") from exc
    _raise_for_http(location, response)
    length = response.headers.get("content-length")
    return int(length) if length and length.isdigit() else None


def http_client() -> httpx.Client:
    return httpx.Client(timeout=_TIMEOUT, follow_redirects=True)


# --- S3 and Azure Blob through fsspec ------------------------------------------------


def object_store(location: PackageLocation, credentials: StoreCredentials) -> Any:
    """An fsspec filesystem for the location's store (never cached by fsspec, so rotated
    credentials take effect)."""
    import fsspec  # noqa: PLC0415 - the drivers load only when a remote package is used

    driver, extra = _EXTRAS[location.kind]
    options = (
        credentials.s3_options() if location.kind is SourceKind.S3 else credentials.azure_options()
    )
    try:
        return fsspec.filesystem(
            "s3" if location.kind is SourceKind.S3 else "az", skip_instance_cache=True, **options
        )
    except ImportError as exc:
        raise ConfigurationError(
            f"package {location.url!r} needs {driver}: install eucora-reconciler[{extra}]"
        ) from exc


def _object_path(location: PackageLocation) -> str:
    return f"{location.container}/{location.key}"


def _store_error(location: PackageLocation, exc: Exception) -> Exception:
    if isinstance(exc, FileNotFoundError):
        return PackageError(f"package {location.url!r}: the object does not exist")
    if isinstance(exc, PermissionError):
        return ConfigurationError(f"package {location.url!r}: the store refused access")
    return Interrupted(f"{type(exc).__name__}: {exc}")


def object_opener(location: PackageLocation, filesystem: Any) -> Opener:
    @contextlib.contextmanager
    def open_from(offset: int) -> Iterator[tuple[int, Iterator[bytes]]]:
        try:
            handle = filesystem.open(_object_path(location), "rb", block_size=CHUNK)
        except Exception as exc:  # the drivers raise their SDKs' own errors
            raise _store_error(location, exc) from exc
        with handle:
            handle.seek(offset)
            yield offset, _object_chunks(location, handle)

    return open_from


def _object_chunks(location: PackageLocation, handle: Any) -> Iterator[bytes]:
    while True:
        try:
            chunk = handle.read(CHUNK)
        except Exception as exc:
            raise _store_error(location, exc) from exc
        if not chunk:
            return
        yield chunk


def object_size(location: PackageLocation, filesystem: Any) -> int | None:
    try:
        info = filesystem.info(_object_path(location))
    except Exception as exc:
        error = _store_error(location, exc)
        if isinstance(error, Interrupted):
            raise PackageUnavailableError(f"package {location.url!r}: {error}") from exc
        raise error from exc
    size = info.get("size")
    return int(size) if isinstance(size, int) else None


__all__ = [
    "CREDENTIAL_KEYS",
    "StoreCredentials",
    "http_client",
    "https_opener",
    "https_size",
    "object_opener",
    "object_size",
    "object_store",
]
