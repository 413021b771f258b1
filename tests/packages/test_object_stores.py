"""S3 (moto's server mode) and Azure Blob (Azurite) package sources, through fsspec."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from reconciler.domain.errors import ConfigurationError, PackageError
from reconciler.domain.tenant import PackageRef
from reconciler.packages import ContentCache, PackageSources, StoreCredentials
from tests.packages.conftest import ObjectStore

INSTALLER = os.urandom(3_000_000)
SHA = hashlib.sha256(INSTALLER).hexdigest()


@pytest.fixture(params=["s3", "azure"])
def object_store(request: pytest.FixtureRequest) -> ObjectStore:
    store: ObjectStore = request.getfixturevalue(f"{request.param}_store")
    return store


def sources(tmp_path: Path, store: ObjectStore) -> PackageSources:
    (tmp_path / "repo").mkdir(exist_ok=True)
    return PackageSources(
        tmp_path / "repo",
        cache=ContentCache(tmp_path / "cache", max_wait=0.01),
        credentials=StoreCredentials.from_mapping(store.credentials),
    )


async def test_an_object_is_downloaded_once_and_verified(
    tmp_path: Path, object_store: ObjectStore
) -> None:
    object_store.put("adobe/reader.pkg", INSTALLER)
    store = sources(tmp_path, object_store)
    ref = PackageRef(object_store.url("adobe/reader.pkg"), SHA, len(INSTALLER))
    path = await store.local_file(ref)
    assert path == tmp_path / "cache" / "sha256" / SHA
    assert path.read_bytes() == INSTALLER
    object_store.put("adobe/reader.pkg", b"replaced in the store")
    assert (await store.local_file(ref)).read_bytes() == INSTALLER  # from the cache


async def test_a_wrong_hash_is_refused_and_nothing_is_kept(
    tmp_path: Path, object_store: ObjectStore
) -> None:
    object_store.put("adobe/reader.pkg", INSTALLER)
    wrong = hashlib.sha256(b"reviewed build").hexdigest()
    ref = PackageRef(object_store.url("adobe/reader.pkg"), wrong, len(INSTALLER))
    with pytest.raises(PackageError, match=f"has sha256 {SHA}; the intent declares {wrong}"):
        await sources(tmp_path, object_store).local_file(ref)
    assert not any(p.is_file() and p.suffix != ".lock" for p in (tmp_path / "cache").rglob("*"))


async def test_a_transfer_cut_mid_body_still_ends_verified(
    tmp_path: Path, object_store: ObjectStore
) -> None:
    object_store.put("adobe/reader.pkg", INSTALLER)
    object_store.proxy.cut(1_200_000)
    ref = PackageRef(object_store.url("adobe/reader.pkg"), SHA, len(INSTALLER))
    path = await sources(tmp_path, object_store).local_file(ref)
    assert object_store.proxy.cuts == 1
    assert path.read_bytes() == INSTALLER


async def test_a_partial_download_left_by_an_earlier_pass_is_resumed(
    tmp_path: Path, object_store: ObjectStore
) -> None:
    """The cache keeps what arrived; the next attempt reads only the rest (a partial file
    with altered bytes proves it: the resumed result fails its hash, then starts anew)."""
    object_store.put("adobe/reader.pkg", INSTALLER)
    ref = PackageRef(object_store.url("adobe/reader.pkg"), SHA, len(INSTALLER))
    partial = tmp_path / "cache" / "partial" / SHA
    partial.parent.mkdir(parents=True)
    partial.write_bytes(INSTALLER[:1_000_000])
    path = await sources(tmp_path, object_store).local_file(ref)
    assert path.read_bytes() == INSTALLER
    partial.parent.mkdir(parents=True, exist_ok=True)
    path.unlink()
    partial.write_bytes(b"\0" * 1_000_000)  # kept bytes are not read again
    with pytest.raises(PackageError, match="has sha256"):
        await sources(tmp_path, object_store).local_file(ref)
    assert (await sources(tmp_path, object_store).local_file(ref)).read_bytes() == INSTALLER


async def test_a_missing_object_names_it(tmp_path: Path, object_store: ObjectStore) -> None:
    ref = PackageRef(object_store.url("adobe/absent.pkg"), SHA, len(INSTALLER))
    with pytest.raises(PackageError, match=r"absent.pkg': the object does not exist"):
        await sources(tmp_path, object_store).local_file(ref)


def test_the_probe_reads_the_size_without_downloading(
    tmp_path: Path, object_store: ObjectStore
) -> None:
    object_store.put("adobe/reader.pkg", INSTALLER)
    store = sources(tmp_path, object_store)
    ref = PackageRef(object_store.url("adobe/reader.pkg"), SHA, len(INSTALLER))
    assert store.probe(ref).size == len(INSTALLER)
    assert not (tmp_path / "cache" / "sha256").exists()


def test_azure_without_an_account_is_a_configuration_error(tmp_path: Path) -> None:
    store = PackageSources(tmp_path, cache=tmp_path / "cache")
    with pytest.raises(ConfigurationError, match="AZURE_STORAGE_CONNECTION_STRING"):
        store.local_file_sync(PackageRef("az://installers/a.pkg", SHA, 10))


def test_credentials_are_never_printed() -> None:
    credentials = StoreCredentials.from_mapping(
        {"AWS_SECRET_ACCESS_KEY": "s3cr3t-value", "UNRELATED": "x"}
    )
    assert "s3cr3t" not in repr(credentials)
    assert list(credentials.values) == ["AWS_SECRET_ACCESS_KEY"]
