"""Cache writer: same bytes on both backends, atomic replacement, reproducible bindings."""

from __future__ import annotations

import contextlib
import filecmp
import importlib.util
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from mirrormanager_pg_store.store import SqlStore
from cache_writer_data import fake_resolver, populate
from mirrormanager_mirrorlist import mirrormanager_pb2 as pb
from mirrormanager_mirrorlist.writer import ProtobufCacheWriter

from mmcore.cache import CacheSnapshot, CacheSource

REPO = Path(__file__).resolve().parents[2]
NOW = 1_700_000_123


def write_with(url: str, path: Path) -> bytes:
    store = SqlStore(url)
    try:
        store.upgrade()
        populate(store.engine)
        ProtobufCacheWriter(resolver=fake_resolver, clock=lambda: NOW).write_blocking(store, path)
    finally:
        store.close()
    return path.read_bytes()


def test_same_content_same_bytes_on_sqlite_and_postgresql(
    pg_database_url: str, tmp_path: Path
) -> None:
    from_sqlite = write_with(f"sqlite:///{tmp_path / 'a.db'}", tmp_path / "sqlite.proto")
    from_pg = write_with(pg_database_url, tmp_path / "pg.proto")
    assert len(from_sqlite) > 1000
    assert from_sqlite == from_pg
    assert pb.MirrorList.FromString(from_pg).IsInitialized()


def test_replaces_atomically_with_readable_mode(tmp_path: Path) -> None:
    path = tmp_path / "cache.proto"
    path.write_bytes(b"old")
    old_inode = path.stat().st_ino
    write_with(f"sqlite:///{tmp_path / 'a.db'}", path)
    info = path.stat()
    assert info.st_ino != old_inode  # a new file renamed over the old one, not rewritten
    assert stat.S_IMODE(info.st_mode) == 0o644
    assert pb.MirrorList.FromString(path.read_bytes()).Time == NOW
    assert [name for name in os.listdir(tmp_path) if name.endswith(".tmp")] == []


class FailingSource:
    """A source whose directory stream breaks half way (e.g. the database went away)."""

    def __init__(self, inner: CacheSource) -> None:
        self.inner = inner

    @contextlib.contextmanager
    def cache_snapshot(self) -> Iterator[CacheSnapshot]:
        with self.inner.cache_snapshot() as snap:

            class Broken:
                def __getattr__(self, name: str):
                    return getattr(snap, name)

                def directory_host_lists(self):
                    rows = snap.directory_host_lists()
                    yield next(rows)
                    raise RuntimeError("connection lost")

            yield Broken()  # type: ignore[misc]


def test_failure_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    store = SqlStore(f"sqlite:///{tmp_path / 'a.db'}")
    store.upgrade()
    populate(store.engine)
    path = tmp_path / "out" / "cache.proto"
    path.parent.mkdir()
    path.write_bytes(b"previous good cache")
    writer = ProtobufCacheWriter(resolver=fake_resolver)
    with pytest.raises(RuntimeError, match="connection lost"):
        writer.write_blocking(FailingSource(store), path)
    store.close()
    assert path.read_bytes() == b"previous good cache"
    assert os.listdir(path.parent) == ["cache.proto"]


def test_committed_bindings_match_the_proto(tmp_path: Path) -> None:
    script = REPO / "plugins" / "mirrorlist" / "generate_proto.py"
    spec = importlib.util.spec_from_file_location("generate_proto", script)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["generate_proto"] = module
    spec.loader.exec_module(module)
    generated = module.generate(tmp_path)
    committed = REPO / "plugins" / "mirrorlist" / "mirrormanager_mirrorlist"
    for path in generated:
        assert filecmp.cmp(path, committed / path.name, shallow=False), (
            f"{path.name} is out of date: run .venv/bin/python plugins/mirrorlist/generate_proto.py"
        )


def test_schema_matches_upstream_numbers_types_and_labels() -> None:
    """The field table of mirrorlist.md §1.2, checked against the compiled descriptors."""
    from google.protobuf.descriptor import FieldDescriptor as F

    req, opt, rep = "required", "optional", "repeated"
    expected = {
        "FileDetailsType": [("TimeStamp", 1, F.TYPE_UINT64, req), ("Size", 2, F.TYPE_UINT64, req),
                            ("SHA1", 3, F.TYPE_STRING, opt), ("MD5", 4, F.TYPE_STRING, opt),
                            ("SHA256", 5, F.TYPE_STRING, opt), ("SHA512", 6, F.TYPE_STRING, opt)],
        "MirrorListCacheType": [("directory", 1, F.TYPE_STRING, req), ("Global", 2, F.TYPE_INT64, rep),
                                ("Subpath", 3, F.TYPE_STRING, opt),
                                ("ByCountry", 4, F.TYPE_MESSAGE, rep),
                                ("ByCountryInternet2", 5, F.TYPE_MESSAGE, rep),
                                ("ByHostId", 6, F.TYPE_MESSAGE, rep),
                                ("OrderedMirrorList", 7, F.TYPE_BOOL, opt)],
        "IntIntMap": [("key", 1, F.TYPE_INT64, req), ("value", 2, F.TYPE_INT64, req)],
        "StringBoolMap": [("key", 1, F.TYPE_STRING, req), ("value", 2, F.TYPE_BOOL, req)],
    }
    for message, fields in expected.items():
        descriptor = pb.DESCRIPTOR.message_types_by_name[message]
        got = [
            (f.name, f.number, f.type,
             "repeated" if f.is_repeated else ("required" if f.is_required else "optional"))
            for f in descriptor.fields
        ]
        assert got == fields, message
    top = pb.DESCRIPTOR.message_types_by_name["MirrorList"]
    # this project's extensions are numbered from 100, away from upstream's fields
    assert [(f.name, f.number) for f in top.fields if f.number >= 100] == [
        ("HCUrlFamilyCache", 100)]
    assert [(f.name, f.number) for f in top.fields if f.number < 100] == [
        ("Time", 1), ("NetblockCountryCache", 2), ("LocationCache", 3), ("HCUrlCache", 4),
        ("FileDetailsCache", 5), ("DisabledRepositoryCache", 6),
        ("CountryContinentRedirectCache", 7), ("RepositoryRedirectCache", 8),
        ("RepoArchToDirectoryName", 9), ("HostAsnCache", 10), ("HostMaxConnectionCache", 11),
        ("HostCountryCache", 12), ("HostBandwidthCache", 13), ("HostCountryAllowedCache", 14),
        ("HostNetblockCache", 15), ("MirrorListCache", 16),
    ]
    # proto2: repeated scalars unpacked, as upstream writes them
    assert not pb.MirrorListCacheType.DESCRIPTOR.fields_by_name["Global"].is_packed


def upstream_mirror_list() -> type:
    """``MirrorList`` as upstream declares it: this schema without the extension fields."""
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    source = descriptor_pb2.FileDescriptorProto()
    pb.DESCRIPTOR.CopyToProto(source)
    source.name, source.package = "upstream/mirrormanager.proto", "upstream"
    for message in source.message_type:
        kept = [f for f in message.field if f.number < 100]
        del message.field[:]
        message.field.extend(kept)
        for field in message.field:
            if field.HasField("type_name"):
                field.type_name = field.type_name.replace(".mirrormanager.", ".upstream.")
    pool = descriptor_pool.DescriptorPool()
    pool.Add(source)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("upstream.MirrorList"))


def test_upstream_schema_reads_a_file_with_extensions(tmp_path: Path) -> None:
    """Fedora's mirrorlist-server (prost) parses with upstream's schema, where an unknown field
    is skipped: a file with ``HCUrlFamilyCache`` parses under that schema to the same upstream
    fields, the extension kept aside as unknown bytes."""
    from mirrormanager_mirrorlist.builder import CacheBuilder

    builder = CacheBuilder().host(1, ["http://a.example/pub"], families=3)
    builder.host(2, ["http://[2001:db8::1]/pub"], families=2).directory("pub/x", [1, 2])
    data = builder.build().SerializeToString()
    upstream = upstream_mirror_list()()
    upstream.ParseFromString(data)  # required fields checked: raises if anything is off
    assert [(e.key, e.value) for e in upstream.HCUrlCache] == [
        (1, "http://a.example/pub"), (2, "http://[2001:db8::1]/pub")]
    assert [e.directory for e in upstream.MirrorListCache] == ["pub/x"]
    plain = pb.MirrorList.FromString(data)
    plain.ClearField("HCUrlFamilyCache")
    assert upstream.SerializeToString() != plain.SerializeToString()  # unknown bytes kept
    upstream.DiscardUnknownFields()
    assert upstream.SerializeToString() == plain.SerializeToString()


def test_database_errors_become_store_errors(tmp_path: Path) -> None:
    from mmcore.store import StoreError

    store = SqlStore(f"sqlite:///{tmp_path / 'never-upgraded.db'}")  # no tables at all
    with pytest.raises(StoreError, match="cannot read the cache snapshot"):
        ProtobufCacheWriter(resolver=fake_resolver).write_blocking(store, tmp_path / "c.proto")
    store.close()
    assert not (tmp_path / "c.proto").exists()
