"""https package sources against a local HTTP server: cached once, verified, resumed."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from reconciler.domain.errors import PackageError, PackageUnavailableError
from reconciler.domain.tenant import PackageRef
from reconciler.packages import ContentCache, PackageSources
from tests.packages.conftest import HttpStore

INSTALLER = os.urandom(1_000_000) + b"end"
SHA = hashlib.sha256(INSTALLER).hexdigest()


def sources(tmp_path: Path, attempts: int = 4) -> PackageSources:
    (tmp_path / "repo").mkdir(exist_ok=True)
    cache = ContentCache(tmp_path / "cache", attempts=attempts, max_wait=0.01)
    return PackageSources(tmp_path / "repo", cache=cache)


def ref(store: HttpStore, sha: str = SHA, size: int = len(INSTALLER)) -> PackageRef:
    return PackageRef(store.url("office/setup.pkg"), sha, size)


async def test_a_remote_package_is_downloaded_once_into_the_content_addressed_cache(
    tmp_path: Path, http_store: HttpStore
) -> None:
    http_store.files["office/setup.pkg"] = INSTALLER
    store = sources(tmp_path)
    path = await store.local_file(ref(http_store))
    assert path == tmp_path / "cache" / "sha256" / SHA
    assert path.read_bytes() == INSTALLER
    assert await store.local_file(ref(http_store)) == path
    assert http_store.ranges == [None]  # the second hand-out came from the cache


async def test_a_wrong_hash_is_refused_and_nothing_is_kept(
    tmp_path: Path, http_store: HttpStore
) -> None:
    http_store.files["office/setup.pkg"] = INSTALLER
    wrong = hashlib.sha256(b"what was reviewed").hexdigest()
    with pytest.raises(PackageError, match=f"has sha256 {SHA}; the intent declares {wrong}"):
        await sources(tmp_path).local_file(ref(http_store, sha=wrong))
    assert not list((tmp_path / "cache").rglob("*" + SHA[:8] + "*"))
    assert not (tmp_path / "cache" / "sha256" / wrong).exists()
    assert not (tmp_path / "cache" / "partial" / wrong).exists()


async def test_a_truncated_download_is_resumed_from_where_it_broke_off(
    tmp_path: Path, http_store: HttpStore
) -> None:
    http_store.files["office/setup.pkg"] = INSTALLER
    http_store.cut_after["office/setup.pkg"] = [300_000]
    path = await sources(tmp_path).local_file(ref(http_store))
    assert path.read_bytes() == INSTALLER
    assert http_store.ranges == [None, "bytes=300000-"]


async def test_a_download_cut_in_every_attempt_is_transient_and_the_next_pass_resumes(
    tmp_path: Path, http_store: HttpStore
) -> None:
    http_store.files["office/setup.pkg"] = INSTALLER
    http_store.cut_after["office/setup.pkg"] = [250_000, 250_000]
    with pytest.raises(PackageUnavailableError, match="broke off at 500000 of 1000003") as err:
        await sources(tmp_path, attempts=2).local_file(ref(http_store))
    assert err.value.transient
    partial = tmp_path / "cache" / "partial" / SHA
    assert partial.read_bytes() == INSTALLER[:500_000]
    path = await sources(tmp_path).local_file(ref(http_store))  # a later pass
    assert path.read_bytes() == INSTALLER
    assert http_store.ranges == [None, "bytes=250000-", "bytes=500000-"]
    assert not partial.exists()


async def test_a_server_that_ignores_range_makes_the_download_start_again(
    tmp_path: Path, http_store: HttpStore
) -> None:
    http_store.files["office/setup.pkg"] = INSTALLER
    http_store.cut_after["office/setup.pkg"] = [400_000]
    http_store.ignore_range = True
    path = await sources(tmp_path).local_file(ref(http_store))
    assert path.read_bytes() == INSTALLER
    assert http_store.ranges == [None, "bytes=400000-"]


async def test_an_object_shorter_than_its_pin_is_a_size_error_not_a_retry_loop(
    tmp_path: Path, http_store: HttpStore
) -> None:
    http_store.files["office/setup.pkg"] = INSTALLER[:1000]
    with pytest.raises(PackageError, match="is 1000 bytes; the intent declares 1000003"):
        await sources(tmp_path).local_file(ref(http_store))
    assert len(http_store.ranges) == 2  # the first read, one resume that got nothing


async def test_an_object_longer_than_its_pin_is_refused(
    tmp_path: Path, http_store: HttpStore
) -> None:
    http_store.files["office/setup.pkg"] = INSTALLER + b"appended"
    with pytest.raises(PackageError, match="larger than the 1000003 bytes"):
        await sources(tmp_path).local_file(ref(http_store))
    assert not (tmp_path / "cache" / "partial" / SHA).exists()


async def test_a_missing_object_names_the_url(tmp_path: Path, http_store: HttpStore) -> None:
    with pytest.raises(PackageError, match=r"office/setup.pkg': HTTP 404: the object does not"):
        await sources(tmp_path).local_file(ref(http_store))


async def test_a_damaged_cache_entry_is_checked_again_and_downloaded_anew(
    tmp_path: Path, http_store: HttpStore
) -> None:
    http_store.files["office/setup.pkg"] = INSTALLER
    store = sources(tmp_path)
    path = await store.local_file(ref(http_store))
    path.write_bytes(bytes([INSTALLER[0] ^ 0xFF]) + INSTALLER[1:])  # someone edits the cache
    again = await store.local_file(ref(http_store))
    assert again.read_bytes() == INSTALLER
    assert http_store.ranges == [None, None]


def test_the_probe_reads_the_size_without_downloading(
    tmp_path: Path, http_store: HttpStore
) -> None:
    http_store.files["office/setup.pkg"] = INSTALLER
    probe = sources(tmp_path).probe(ref(http_store))
    assert (probe.size, probe.verified) == (len(INSTALLER), False)
    assert http_store.ranges == []  # HEAD only
