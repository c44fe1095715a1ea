"""``mirrormanager db adopt``: a MirrorManager2 database (DDL written from its schema notes,
with sample rows) taken over in place on both backends -- passwords hashed, pickled file lists
read without unpickling, our schema stamped -- and every refusal writing nothing."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from mm2_schema import MM1_FILES, MM2_REVISION, create_mm2_database

from mirrormanager_pg_store.migrate import VERSION_TABLE, head_revision
from mirrormanager_pg_store.store import SqlStore
from mmcore.cli import main
from mmcore.passwords import verify_password


def adopt(url: str, *extra: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(["db", "adopt", url, *extra], out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def snapshot(url: str) -> dict[str, list]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            names = sa.inspect(conn).get_table_names()
            return {name: sorted(map(tuple, conn.exec_driver_sql(f'SELECT * FROM "{name}"')),
                                 key=repr) for name in names}
    finally:
        engine.dispose()


def test_adopt_converts_and_stamps(store_url: str, tmp_path: Path) -> None:
    target = tmp_path / "pwned"
    create_mm2_database(store_url, exploit_target=str(target))
    before = snapshot(store_url)

    status, out, err = adopt(store_url, "--dry-run")
    assert status == 1 and "directory id 5" in err and "global posix.system refused" in err
    assert "--clear-unreadable" in err
    assert snapshot(store_url) == before and not target.exists()

    status, out, err = adopt(store_url, "--clear-unreadable", "--dry-run")
    assert status == 0, err
    assert "passwords_hashed=1 file_lists_converted=2 file_lists_cleared=1" in out
    assert "would create table access_stat_import" in out
    assert snapshot(store_url) == before

    status, out, err = adopt(store_url, "--clear-unreadable")
    assert status == 0, err
    assert f"mm2_revision={MM2_REVISION} revision={head_revision()}" in out
    assert not target.exists()  # the crafted pickle never ran

    store = SqlStore(store_url)
    try:
        store.check_schema()
        with store.engine.connect() as conn:
            password = conn.exec_driver_sql("SELECT password FROM site WHERE id = 1").scalar()
            files = dict(conn.exec_driver_sql("SELECT id, files FROM directory").all())
            mm2 = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
            tables = set(sa.inspect(conn).get_table_names())
            config = conn.exec_driver_sql("SELECT config FROM host").scalar()
        assert verify_password("hunter2", password) and not verify_password("x", password)
        expected = [{"name": name, "size": v["size"], "timestamp": v["stat"]}
                    for name, v in sorted(MM1_FILES.items())]
        assert json.loads(bytes(files[2])) == expected == json.loads(bytes(files[3]))
        assert json.loads(bytes(files[1]))[0]["name"] == "repomd.xml"
        assert files[4] is None and files[5] is None
        assert mm2 == MM2_REVISION  # MirrorManager2's own table is left as it was
        assert {VERSION_TABLE, "access_stat_import"} <= tables
        assert config is not None  # never read, left alone
        # the store reads the adopted data
        assert [c.name for c in store.load_deployment().categories] == ["Fedora Linux"]
    finally:
        store.close()

    status, _, err = adopt(store_url)
    assert status == 1 and "already adopted" in err


def test_adopt_refuses_what_is_not_mm2(store_url: str) -> None:
    engine = sa.create_engine(store_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE something (id INTEGER PRIMARY KEY)")
    engine.dispose()
    before = snapshot(store_url)
    status, _, err = adopt(store_url)
    assert status == 1 and "not a MirrorManager2 database: no table site" in err
    assert snapshot(store_url) == before


def test_adopt_refuses_an_older_mm2_schema(store_url: str) -> None:
    create_mm2_database(store_url)
    engine = sa.create_engine(store_url)
    with engine.begin() as conn:  # before MirrorManager2's e67aacbf9f4f (host lat/long)
        conn.exec_driver_sql("ALTER TABLE host DROP COLUMN latitude")
    engine.dispose()
    before = snapshot(store_url)
    status, _, err = adopt(store_url)
    assert status == 1 and "missing columns: host.latitude" in err
    assert snapshot(store_url) == before


def test_adopt_refuses_a_missing_database(tmp_path: Path) -> None:
    status, _, err = adopt(f"sqlite:///{tmp_path / 'none.db'}")
    assert status == 1 and "none.db" in err
    assert not (tmp_path / "none.db").exists()


@pytest.mark.parametrize("raw", [b"\x80\x04\x95", b"not json, not pickle"])
def test_garbage_file_lists_are_named(raw: bytes) -> None:
    from mirrormanager_pg_store.adopt import file_list_json
    from mmcore.safe_pickle import PickleRefused

    with pytest.raises(PickleRefused):
        file_list_json(raw)
