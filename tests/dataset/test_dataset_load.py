"""The small dataset loaded into SQLite and PostgreSQL: counts, content, integrity, refusal."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from mirrormanager_pg_store import schema
from mmcore.commands import CommandError
from mmcore.config import Config
from mmcore.plugins import get_plugin_manager
from mmcore.builtins.commands import configure_dataset
from mmcore.dataset import SCALES, Dataset, DatasetRefused, load_dataset, run
from mmcore.runtime import Runtime
from mmcore.store import SchemaOutOfDate


def _normalise(value: object) -> object:
    if isinstance(value, memoryview):
        return bytes(value)
    if isinstance(value, float):
        return round(value, 6)
    return value


def _table_rows(engine: sa.Engine, name: str, columns: tuple[str, ...]) -> list[tuple]:
    table = schema.metadata.tables[name]
    order = list(table.primary_key.columns)
    with engine.connect() as conn:
        result = conn.execute(sa.select(*(table.c[c] for c in columns)).order_by(*order))
        return [tuple(_normalise(v) for v in row) for row in result]


def test_counts_match_what_was_generated(small_loaded) -> None:
    store, report = small_loaded
    counts = store.table_counts()
    expected = {name: t.expected for name, t in Dataset(SCALES["small"], 1).tables().items()}
    for name, n in expected.items():
        assert counts[name] == n == report.rows[name], name
    assert counts["host"] == 12 and counts["site"] == 10
    assert 1_500 <= counts["directory"] <= 3_000
    assert 3_000 <= counts["host_category_dir"] <= 10_000


def test_database_holds_exactly_the_generated_rows(small_loaded) -> None:
    """Same seed, same content: the database equals a fresh generation with that seed."""
    store, _report = small_loaded
    for name, table in Dataset(SCALES["small"], 1).tables().items():
        generated = sorted(tuple(_normalise(v) for v in row) for row in table.rows)
        stored = sorted(_table_rows(store.engine, name, table.columns))
        assert stored == generated, name


def test_other_seed_gives_other_content(store) -> None:
    load_dataset(store, SCALES["small"], 2)
    seed_one = sorted(Dataset(SCALES["small"], 1).tables()["host"].rows)
    columns = Dataset(SCALES["small"], 1).tables()["host"].columns
    assert _table_rows(store.engine, "host", columns) != [
        tuple(_normalise(v) for v in row) for row in seed_one
    ]


def test_every_foreign_key_points_to_a_row(small_loaded) -> None:
    store, _report = small_loaded
    checked = 0
    with store.engine.connect() as conn:
        for table in schema.metadata.sorted_tables:
            for fk in table.foreign_keys:
                child = fk.parent
                parent = fk.column
                dangling = conn.execute(
                    sa.select(sa.func.count())
                    .select_from(table.outerjoin(parent.table, child == parent))
                    .where(child.is_not(None), parent.is_(None))
                ).scalar_one()
                assert dangling == 0, f"{table.name}.{child.name} -> {parent.table.name}"
                checked += 1
    assert checked >= 25


def test_topdirs_paths_and_repositories_are_consistent(small_loaded) -> None:
    store, _report = small_loaded
    with store.engine.connect() as conn:
        mismatched = conn.execute(sa.text(
            "SELECT count(*) FROM host_category_dir hcd "
            "JOIN host_category hc ON hc.id = hcd.host_category_id "
            "JOIN category c ON c.id = hc.category_id "
            "JOIN directory top ON top.id = c.topdir_id "
            "JOIN directory d ON d.id = hcd.directory_id "
            "WHERE d.name <> CASE WHEN hcd.path = '' THEN top.name "
            "ELSE top.name || '/' || hcd.path END")).scalar_one()
        assert mismatched == 0
        repo_without_repodata = conn.execute(sa.text(
            "SELECT count(*) FROM repository r JOIN directory d ON d.id = r.directory_id "
            "WHERE NOT EXISTS (SELECT 1 FROM directory x WHERE x.name = d.name || '/repodata')"
        )).scalar_one()
        assert repo_without_repodata == 0


def _context(store) -> tuple[Runtime, io.StringIO, io.StringIO]:
    out, err = io.StringIO(), io.StringIO()
    return Runtime(Config(), get_plugin_manager(load_entry_points=False), out=out, err=err,
                   store=store), out, err


def _run(store, *argv: str) -> tuple[int, str, str]:
    import argparse

    parser = argparse.ArgumentParser()
    configure_dataset(parser)
    runtime, out, err = _context(store)
    status = run(runtime, parser.parse_args(list(argv)))
    return status, out.getvalue(), err.getvalue()


def test_command_fills_and_reports(store) -> None:
    status, out, err = _run(store, "--scale", "small", "--seed", "5")
    assert status == 0
    assert out.startswith("dataset scale=small seed=5 rows=")
    assert " host=12 " in out and " seconds=" in out
    # not a terminal: one plain progress line per table
    lines = err.splitlines()
    assert len(lines) == len(Dataset(SCALES["small"], 5).tables())
    assert lines[0].startswith("dataset site [########################] 100% 10/10 ")


def test_refuses_a_database_that_holds_data_and_changes_nothing(small_loaded) -> None:
    store, _report = small_loaded
    before = store.table_counts()
    with pytest.raises(DatasetRefused, match=r"already holds data: site \(10 rows\)"):
        load_dataset(store, SCALES["small"], 9)
    with pytest.raises(CommandError, match="only fills an empty database"):
        _run(store, "--scale", "small")
    assert store.table_counts() == before


def test_refuses_a_database_without_schema(store_url: str) -> None:
    from mirrormanager_pg_store.store import SqlStore

    bare = SqlStore(store_url)
    try:
        with pytest.raises(SchemaOutOfDate, match="db upgrade"):
            load_dataset(bare, SCALES["small"], 1)
        with pytest.raises(CommandError, match="db upgrade"):
            _run(bare, "--scale", "small")
    finally:
        bare.close()
