"""The parts of media keeping on their own: safe names, the folder plan, the index on both
stores, the record's JSON."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from samples import REDIS_URL

from botkit import PermanentError
from botkit.inbound_media import KeptMedia, MediaFolderMissing, keep_plan, open_media_index
from botkit.inbound_media.files import (
    MediaDigestMismatch,
    file_name,
    place,
    prepare_folder,
)
from botkit.settings import StoreSettings
from botkit.store import open_store

SAFE_NAME = re.compile(r"^[0-9a-f]{64}\.[a-z0-9]{1,10}$")


@given(digest=st.binary(min_size=32, max_size=32), mime_type=st.text(max_size=80))
def test_a_kept_file_name_is_its_digest_and_a_safe_extension(digest, mime_type):
    name = file_name(digest, mime_type)
    assert SAFE_NAME.match(name), name
    assert name.startswith(digest.hex())


@pytest.mark.parametrize(("mime_type", "extension"), [
    ("image/jpeg", ".jpg"), ("audio/ogg; codecs=opus", ".ogg"), ("image/webp", ".webp"),
    ("application/pdf", ".pdf"), ("video/mp4", ".mp4"), ("x/unheard-of", ".bin"),
    ("../../etc/passwd", ".bin"),
])
def test_extensions_come_from_the_mime_type(mime_type, extension):
    assert file_name(b"\x01" * 32, mime_type) == "01" * 32 + extension


@dataclass(frozen=True)
class Table:
    keep: bool = True
    folder: Path | None = None
    max_bytes: int = 5000


def test_the_folder_defaults_to_media_beside_a_sqlite_store(tmp_path):
    plan = keep_plan(Table(), f"sqlite:///{tmp_path}/data/botkit.db")
    assert plan.folder == tmp_path / "data" / "media" and plan.max_bytes == 5000
    assert keep_plan(Table(folder=tmp_path / "x"), "redis://127.0.0.1/0").folder == tmp_path / "x"


def test_a_redis_store_needs_a_folder():
    with pytest.raises(MediaFolderMissing, match=r"needs \[media\] folder") as raised:
        keep_plan(Table(), "redis://:secret@127.0.0.1/0")
    assert isinstance(raised.value, PermanentError)
    assert "secret" not in str(raised.value)


def test_placing_checks_the_digest_and_leaves_a_private_file(tmp_path):
    partial = prepare_folder(tmp_path / "media")
    download = partial / "a1.tmp"
    download.write_bytes(b"picture")
    with pytest.raises(MediaDigestMismatch, match="failed its sha256 check"):
        place(download, tmp_path / "media", "image/png", hashlib.sha256(b"other").digest(), "M")
    assert download.exists()  # the caller removes it
    path, digest, size = place(download, tmp_path / "media", "image/png",
                               hashlib.sha256(b"picture").digest(), "M")
    assert path == tmp_path / "media" / f"{hashlib.sha256(b'picture').hexdigest()}.png"
    assert (digest, size) == (hashlib.sha256(b"picture").digest(), 7)
    assert path.stat().st_mode & 0o777 == 0o600 and not download.exists()


def test_the_record_survives_its_json(tmp_path):
    record = KeptMedia("M1", tmp_path / "f.jpg", "image/jpeg", 12, "ab" * 32, "551199", "1098",
                       1782900000.5)
    assert KeptMedia.from_json(record.to_json()) == record
    assert KeptMedia.from_json(record.to_json().decode()) == record


@pytest.fixture(params=["sqlite", "redis"])
async def store(request, tmp_path, redis_prefix):
    url = (f"sqlite:///{tmp_path}/botkit.db" if request.param == "sqlite"
           else f"{REDIS_URL}?prefix={redis_prefix}&partitions=2")
    opened = open_store(StoreSettings(url=url))
    await opened.open()
    yield opened
    await opened.close()


async def test_the_index_keeps_one_record_per_media_id(store, tmp_path):
    index = open_media_index(store)
    await index.open()
    await index.open()  # opening twice is harmless
    assert await index.get("M1") is None
    first = KeptMedia("M1", tmp_path / "a.jpg", "image/jpeg", 3, "aa" * 32, "551199", "1098", 1.0)
    await index.put(first)
    await index.put(KeptMedia("M2", tmp_path / "b.pdf", "application/pdf", 9, "bb" * 32,
                              None, None, 2.0))
    assert await index.get("M1") == first
    replaced = KeptMedia("M1", tmp_path / "c.jpg", "image/jpeg", 4, "cc" * 32, "551199", "1098",
                         3.0)
    await index.put(replaced)
    assert await index.get("M1") == replaced
    assert (await index.get("M2")).customer is None
