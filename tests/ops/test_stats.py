"""``stats import`` and ``expire-stats`` through the CLI on both backends, and the access-log
reader on its own (garbage, compression, truncation, folding)."""

from __future__ import annotations

import datetime
import gzip
import lzma
from pathlib import Path

import pytest
from ops_data import dump, rows, run_cli, write_config

from mirrormanager_ops import accesslog
from mirrormanager_ops.accesslog import AccessLogError, read_access_log

DAY1, DAY2 = datetime.date(2024, 4, 24), datetime.date(2024, 4, 25)


def line(ip: str, day: datetime.date, country: str, repo: str, arch: str) -> str:
    return f"IP: {ip}; DATE: {day}; COUNTRY: {country}; REPO: {repo}; ARCH: {arch}\n"


LOG_A = (
    line("192.0.2.1", DAY1, "DE", "fedora-40", "x86_64") * 3
    + line("192.0.2.2", DAY1, "US", "fedora-40", "aarch64")
    + line("2001:db8::1", DAY1, "N/A", "epel-9", "x86_64")
    + line("192.0.2.3", DAY1, "IR", "fedora-40", "x86_64")  # embargoed: counted as N/
    + "garbage that is not a log line\n"
    + "IP: 1.2.3.4; DATE: 2024-13-45; COUNTRY: DE; REPO: x; ARCH: y\n"  # no such day
    + "IP: 1.2.3.4; DATE: 2024-04-24; COUNTRY: DE; REPO: bad\x01repo; ARCH: x86_64\n"
    + line("192.0.2.9", DAY2, "FR", "fedora-40", "x86_64")
)
LOG_B = line("192.0.2.7", DAY2, "FR", "rawhide", "x86_64") * 2


def write_gz(path: Path, text: str) -> Path:
    path.write_bytes(gzip.compress(text.encode()))
    return path


def test_reader_counts_and_garbage(tmp_path: Path) -> None:
    log = read_access_log(write_gz(tmp_path / "a.gz", LOG_A), embargoed=["IR"])
    assert (log.lines, log.garbage) == (10, 3)
    assert log.counts[DAY1] == {
        "countries": {"DE": 3, "US": 1, "N/": 2},
        "archs": {"x86_64": 5, "aarch64": 1},
        "repositories": {"fedora-40": 5, "epel-9": 1},
    }
    assert log.counts[DAY2]["countries"] == {"FR": 1}
    # the same content, plain or xz: the same digest and counts
    plain = tmp_path / "a.log"
    plain.write_text(LOG_A)
    xz = tmp_path / "a.xz"
    xz.write_bytes(lzma.compress(LOG_A.encode()))
    for other in (read_access_log(plain, embargoed=["IR"]),
                  read_access_log(xz, embargoed=["IR"])):
        assert (other.digest, other.counts) == (log.digest, log.counts)


def test_reader_across_blocks_and_days(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(accesslog, "BLOCK", 64)  # many blocks, lines cut across them
    monkeypatch.setattr(accesslog, "MAX_LINE", 300)
    text = "".join(line("192.0.2.1", DAY1 if i < 250 else DAY2, "DE", f"repo-{i % 40}",
                        "x86_64") for i in range(400))
    text += "junk\n" * 7 + "x" * 1000 + "\n"  # a line longer than MAX_LINE: garbage
    text += line("192.0.2.1", DAY2, "SE", "last", "aarch64").rstrip("\n")  # no newline at end
    log = read_access_log(write_gz(tmp_path / "many.gz", text))
    assert (log.lines, log.garbage) == (409, 8)
    assert sum(log.counts[DAY1]["repositories"].values()) == 250
    assert log.counts[DAY1]["repositories"]["repo-7"] == 7
    assert log.counts[DAY2]["countries"] == {"DE": 150, "SE": 1}
    assert log.counts[DAY2]["archs"] == {"x86_64": 150, "aarch64": 1}


def test_reader_refuses_truncated_and_corrupt_files(tmp_path: Path) -> None:
    data = gzip.compress((LOG_A * 2000).encode())
    truncated = tmp_path / "cut.gz"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(AccessLogError, match=r"cut\.gz: cannot read past byte \d+ .*truncated"):
        read_access_log(truncated)
    corrupt = tmp_path / "bad.gz"
    corrupt.write_bytes(data[:20] + b"\x00" * 200 + data[220:])
    with pytest.raises(AccessLogError, match="bad.gz"):
        read_access_log(corrupt)


@pytest.fixture
def config(store, store_url: str, tmp_path: Path) -> Path:
    return write_config(tmp_path, store_url)


def stats(store) -> list[tuple]:
    return rows(store, "SELECT c.name, s.date, s.name, s.requests, s.percent FROM access_stat s "
                       "JOIN access_stat_category c ON s.category_id = c.id "
                       "ORDER BY c.name, s.date, s.name")


def test_stats_import_is_idempotent_per_log_and_adds_logs_of_one_day(
        store, config: Path, tmp_path: Path) -> None:
    a = write_gz(tmp_path / "mirrorlist.log-1.gz", LOG_A)
    b = write_gz(tmp_path / "mirrorlist.log-2.gz", LOG_B)
    status, out, _ = run_cli(config, "stats", "import", str(a), "--dry-run")
    assert status == 0 and "lines=10 garbage=3" in out
    assert stats(store) == []

    status, out, _ = run_cli(config, "stats", "import", str(a))
    assert status == 0 and out.splitlines()[-1].startswith("command=stats-import")
    first = stats(store)
    day1 = {(c, n): (r, p) for c, d, n, r, p in first if to_date(d) == DAY1}
    assert day1[("countries", "DE")] == (3, 50.0)
    assert day1[("countries", "N/")] == (2, pytest.approx(33.3333))
    assert day1[("archs", "aarch64")] == (1, pytest.approx(16.6667))

    status, out, _ = run_cli(config, "stats", "import", str(a))  # again: counted once
    assert status == 0 and "replaced=1" in out
    assert stats(store) == first

    status, out, _ = run_cli(config, "stats", "import", str(b))  # more of day 2: added
    assert status == 0
    day2 = {(c, n): (r, p) for c, d, n, r, p in stats(store) if to_date(d) == DAY2}
    assert day2[("countries", "FR")] == (3, 100.0)
    assert day2[("repositories", "rawhide")] == (2, pytest.approx(66.6667))
    assert rows(store, "SELECT count(*) FROM access_stat_import") == [(2,)]


def test_stats_import_of_a_truncated_log_writes_nothing(store, config: Path,
                                                         tmp_path: Path) -> None:
    good = write_gz(tmp_path / "good.gz", LOG_A)
    data = gzip.compress((LOG_B * 5000).encode())
    cut = tmp_path / "cut.gz"
    cut.write_bytes(data[:-30])
    before = dump(store)
    status, _, err = run_cli(config, "stats", "import", str(good), str(cut))
    assert status == 1 and "cut.gz" in err and "truncated" in err
    assert dump(store) == before
    status, _, err = run_cli(config, "stats", "import", str(tmp_path / "missing.gz"))
    assert status == 1 and "missing.gz" in err


def test_expire_stats(store, config: Path, tmp_path: Path) -> None:
    today = datetime.datetime.now(datetime.UTC).date()
    old, recent = today - datetime.timedelta(days=40), today - datetime.timedelta(days=2)
    log = write_gz(tmp_path / "x.gz", line("192.0.2.1", old, "DE", "f", "x86_64")
                   + line("192.0.2.1", recent, "DE", "f", "x86_64"))
    assert run_cli(config, "stats", "import", str(log))[0] == 0
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    store.bulk_load({
        "arch": (("id", "name"), [(1, "x86_64")]),
        "repository": (("id", "name", "prefix", "arch_id"), [(1, "r", "r", 1)]),
        "propagation_stat": (("repository_id", "datetime", "same_day"), [
            (1, now - datetime.timedelta(days=8), 1), (1, now - datetime.timedelta(days=1), 2)
        ]),
    })
    before = dump(store)
    status, out, _ = run_cli(config, "expire-stats", "--dry-run")
    assert status == 0 and "access_stats_deleted=3 propagation_stats_deleted=1" in out
    assert dump(store) == before
    status, out, _ = run_cli(config, "expire-stats")
    assert status == 0
    assert {to_date(d) for _, d, *_ in stats(store)} == {recent}
    assert rows(store, "SELECT same_day FROM propagation_stat") == [(2,)]
    assert rows(store, "SELECT count(DISTINCT date) FROM access_stat_import_count") == [(1,)]


def to_date(value) -> datetime.date:
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)
