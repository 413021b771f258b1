"""Local package stores for the package-source tests, all on 127.0.0.1.

* ``http_store``: a threaded HTTP server with ``Range`` support whose responses can be cut
  short (a truncated download) or ignore ``Range``;
* ``s3_store``: moto in server mode, reached through ``CuttingProxy`` so a test can break a
  transfer mid-body;
* ``azure_store``: Azurite (npm) started from the tests, behind the same proxy.

Without moto or Azurite the tests skip, except in CI (``CI=true``), where they fail: a
skipped emulator must not pass a build. Azurite is installed with npm into
``~/.cache/eucora-tests/azurite`` when it is not there yet.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

AZURITE_VERSION = "3.37.0"
AZURITE_HOME = Path.home() / ".cache" / "eucora-tests" / "azurite"
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
CI = os.environ.get("CI") == "true"


def missing(what: str) -> None:
    """Skip, or in CI fail: the emulator tests must run there."""
    if CI:
        pytest.fail(f"{what}; CI must run the package-source emulator tests")
    pytest.skip(what)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- HTTP -----------------------------------------------------------------------------


@dataclass
class HttpStore:
    files: dict[str, bytes] = field(default_factory=dict)
    #: path -> bytes to send before closing the connection, applied once per entry
    cut_after: dict[str, list[int]] = field(default_factory=dict)
    ignore_range: bool = False
    ranges: list[str | None] = field(default_factory=list)
    port: int = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}"


def _handler(store: HttpStore) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _body(self) -> tuple[int, bytes, dict[str, str]] | None:
            data = store.files.get(self.path.lstrip("/"))
            if data is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            wanted = self.headers.get("Range")
            if wanted and not store.ignore_range:
                start = int(wanted.removeprefix("bytes=").split("-")[0])
                if start >= len(data):
                    return 416, b"", {"Content-Range": f"bytes */{len(data)}"}
                headers = {"Content-Range": f"bytes {start}-{len(data) - 1}/{len(data)}"}
                return 206, data[start:], headers
            return 200, data, {"Accept-Ranges": "bytes"}

        def do_HEAD(self) -> None:
            answer = self._body()
            if answer is None:
                return
            status, body, headers = answer
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()

        def do_GET(self) -> None:
            store.ranges.append(self.headers.get("Range"))
            answer = self._body()
            if answer is None:
                return
            status, body, headers = answer
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            cuts = store.cut_after.get(self.path.lstrip("/"))
            if cuts:
                self.wfile.write(body[: cuts.pop(0)])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            self.wfile.write(body)

    return Handler


@pytest.fixture
def http_store() -> Iterator[HttpStore]:
    store = HttpStore()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(store))
    server.daemon_threads = True
    store.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield store
    server.shutdown()
    server.server_close()


# --- a TCP proxy that can cut a transfer --------------------------------------------


class CuttingProxy:
    """Forwards 127.0.0.1:port to a target; ``cut(n)`` closes the connection that carries
    the next response once ``n`` more bytes went back to the client."""

    def __init__(self, target: int) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self._budget: int | None = None
        self.cuts = 0
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def cut(self, after: int) -> None:
        with self._lock:
            self._budget = after

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target))
            threading.Thread(target=self._pipe, args=(client, upstream, False), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, True), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, downstream: bool) -> None:
        try:
            while data := source.recv(65536):
                if downstream:
                    with self._lock:
                        if self._budget is not None:
                            if len(data) > self._budget:
                                sink.sendall(data[: self._budget])
                                self._budget, self.cuts = None, self.cuts + 1
                                raise ConnectionAbortedError
                            self._budget -= len(data)
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
                end.close()

    def close(self) -> None:
        self.listener.close()


# --- S3 (moto server) ----------------------------------------------------------------


@dataclass
class ObjectStore:
    scheme: str
    container: str
    credentials: dict[str, str]
    proxy: CuttingProxy
    put: object  # (key, bytes) -> None

    def url(self, key: str) -> str:
        return f"{self.scheme}://{self.container}/{key}"


@pytest.fixture(scope="session")
def s3_store() -> Iterator[ObjectStore]:
    try:
        import boto3
        from moto.server import ThreadedMotoServer
    except ImportError as exc:
        missing(f"moto's server mode is not installed ({exc})")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    port = server.get_host_and_port()[1]
    proxy = CuttingProxy(port)
    credentials = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing-secret",
        "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{proxy.port}",
    }
    client = boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{port}",
        aws_access_key_id="testing",
        aws_secret_access_key="testing-secret",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket="installers")

    def put(key: str, data: bytes) -> None:
        client.put_object(Bucket="installers", Key=key, Body=data)

    yield ObjectStore("s3", "installers", credentials, proxy, put)
    proxy.close()
    server.stop()


# --- Azure Blob (Azurite) ------------------------------------------------------------


def azurite_main() -> Path | None:
    main = AZURITE_HOME / "node_modules" / "azurite" / "dist" / "src" / "blob" / "main.js"
    if main.is_file():
        return main
    if shutil.which("npm") is None:
        return None
    AZURITE_HOME.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", f"azurite@{AZURITE_VERSION}"],
        cwd=AZURITE_HOME,
        capture_output=True,
        check=False,
        timeout=300,
    )
    return main if main.is_file() else None


@pytest.fixture(scope="session")
def azure_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ObjectStore]:
    if shutil.which("node") is None:
        missing("node is not installed (Azurite needs it)")
    main = azurite_main()
    if main is None:
        missing(f"Azurite {AZURITE_VERSION} could not be installed with npm")
    try:
        from azure.storage.blob import BlobServiceClient
    except ImportError as exc:
        missing(f"azure-storage-blob (adlfs) is not installed ({exc})")
    port = free_port()
    process = subprocess.Popen(
        ["node", str(main), "--blobHost", "127.0.0.1", "--blobPort", str(port),
         "--location", str(tmp_path_factory.mktemp("azurite")), "--silent", "--skipApiVersionCheck",
         "--disableProductStyleUrl"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    direct = (
        f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
        f"BlobEndpoint=http://127.0.0.1:{port}/{AZURITE_ACCOUNT};"
    )
    service = BlobServiceClient.from_connection_string(direct)
    deadline = time.monotonic() + 30
    while True:
        try:
            service.create_container("installers")
            break
        except Exception:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                missing(f"Azurite did not start: {process.stderr.read().decode()[-500:]}")
            time.sleep(0.3)
    proxy = CuttingProxy(port)
    credentials = {
        "AZURE_STORAGE_CONNECTION_STRING": direct.replace(f":{port}/", f":{proxy.port}/"),
    }
    container = service.get_container_client("installers")

    def put(key: str, data: bytes) -> None:
        container.upload_blob(key, data, overwrite=True)

    yield ObjectStore("az", "installers", credentials, proxy, put)
    proxy.close()
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
