"""Caches that must never replace a good generation, and generations that must not depend on
their file.

* A string that is not UTF-8 anywhere in the cache (a URL, a repo/arch key, ...) rejects the
  whole file at load time; the last good generation keeps serving.  Without load-time
  validation, a lazily parsed entry with such a string answers a clean 500 for its directory.
* The loaded generation is a private snapshot: truncating or rewriting the file in place
  (``: > cache``, ``cp new cache``, ``truncate``) changes nothing for it.
"""

from __future__ import annotations

import multiprocessing
import os
import random
from pathlib import Path

import httpx
import pytest
import trio
from listserver_data import (
    CACHE_TIME,
    OS,
    REPODATA,
    many_directories,
    service,
    with_invalid_utf8,
    world,
    write_inputs,
)
from listserver_process import server_process

from mirrormanager_mirrorlist import cachefile
from mirrormanager_mirrorlist.app import CORRUPT_ENTRY, ListService
from mirrormanager_mirrorlist.cacheindex import CacheFormatError, CacheIndex, load_cache
from mirrormanager_mirrorlist.httpmessages import Request
from mirrormanager_mirrorlist.inputs import Inputs
from mmcore.atomic import write_atomically
from mmcore.geo import read_country_continent

ML = "/mirrorlist"
RA = "repo=fedora-40&arch=x86_64"
NEW = CACHE_TIME + 60


def load(path: Path, *, validate: bool = True) -> CacheIndex:
    return load_cache(path, continents_csv=read_country_continent(None, strict=False),
                      validate=validate)


def ask(svc: ListService, query: str, path: str = ML) -> tuple[int, str, str | None]:
    answer = svc.answer(Request(path, query, None, "198.51.100.7"))
    return answer.status, answer.body, answer.generation


def inputs_of(svc: ListService) -> Inputs:
    assert isinstance(svc.inputs, Inputs)
    return svc.inputs


# -- strings that are not UTF-8 --------------------------------------------------------------

#: (text in the serialized world, which occurrence, where it is): every kind of string read
STRINGS = [
    ("http://us.example/pub", 0, "HCUrlCache value (a URL)"),
    ("fedora-40+x86_64", 0, "RepoArchToDirectoryName key"),
    ("fedora-old", 0, "RepositoryRedirectCache key"),
    ("fedora-dead", 0, "DisabledRepositoryCache key"),
    ("172.16.0.0/12", 0, "NetblockCountryCache key"),
    ("10.1.0.0/16", 0, "HostNetblockCache key"),
    ("pub/alt/rsync-only", 0, "MirrorListCache directory"),
    ("alt/rsync-only", 1, "MirrorListCache Subpath"),
    ("repomd.xml", 0, "FileDetailsCacheFiles filename"),
    ("m" * 32, 0, "FileDetails MD5"),
]


@pytest.mark.parametrize(("text", "occurrence", "where"), STRINGS,
                         ids=[w for _, _, w in STRINGS])
def test_a_string_that_is_not_utf8_rejects_the_whole_cache(
    tmp_path: Path, text: str, occurrence: int, where: str
) -> None:
    svc = service(tmp_path)
    inputs = inputs_of(svc)
    assert inputs.index is not None
    good = inputs.index.generation
    bad = with_invalid_utf8(world(NEW).build().SerializeToString(), text, occurrence)
    write_atomically(inputs.paths.cache, bad)
    with pytest.raises(CacheFormatError, match="UTF-8"):
        load(inputs.paths.cache)
    assert inputs.refresh() is False  # rejected, nothing escapes the reload path
    assert inputs.index.generation == good and inputs.rejected == 1
    for query in (RA + "&country=us", "repo=nope&arch=x", "repo=fedora-old&arch=x86_64",
                  f"path={OS}", "path=pub/alt/rsync-only"):
        status, _, generation = ask(svc, query)
        assert status in (200, 404) and generation == good, (query, status)
    status, body, generation = ask(svc, RA, "/metalink")
    assert status == 200 and "repomd.xml" in body and generation == good


def test_a_bad_url_string_does_not_stop_a_running_server(tmp_path: Path) -> None:
    """Item 1 as an operator sees it: the reload of such a file is rejected, the process goes on."""
    svc = service(tmp_path)
    inputs = inputs_of(svc)
    good = inputs.index.generation if inputs.index else None
    bad = with_invalid_utf8(world(NEW).build().SerializeToString(), "us.example")
    write_atomically(inputs.paths.cache, bad)
    assert inputs.changed() == ["cache"]
    assert inputs.refresh() is False
    assert inputs.changed() == []  # not retried until the file changes again
    world(NEW + 1).write(inputs.paths.cache)
    assert inputs.refresh() is True
    assert inputs.index is not None and inputs.index.generation != good
    assert inputs.index.generation.startswith(f"{NEW + 1}-")


def test_without_validation_a_bad_entry_answers_a_clean_error_for_its_directory(
    tmp_path: Path,
) -> None:
    bad = with_invalid_utf8(world().build().SerializeToString(), "alt/rsync-only", 1)
    paths = write_inputs(tmp_path)
    write_atomically(paths.cache, bad)
    with pytest.raises(CacheFormatError, match="UTF-8"):
        load(paths.cache)  # validated: rejected at load time
    inputs = Inputs(paths, validate=False)
    inputs.load_all()  # the directory name parses; the Subpath is only seen when parsed
    svc = ListService(inputs, minimum=1, rng=random.Random(1))
    for _ in range(2):  # the failure is remembered, the answer the same
        status, body, _ = ask(svc, "path=pub/alt/rsync-only")
        assert (status, body) == (500, CORRUPT_ENTRY)
        status, body, _ = ask(svc, "path=pub/alt/rsync-only/file", "/metalink")
        assert (status, body) == (500, CORRUPT_ENTRY)
    assert ask(svc, RA)[0] == 200  # the other directories answer
    assert ask(svc, f"path={REPODATA}/repomd.xml", "/metalink")[0] == 200


def test_at_start_a_bad_entry_is_found_by_the_check_after_the_server_answers(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The first generation answers before its full check (nothing older to keep); the check
    then names the bad entry, which answers a clean error, the others answer."""
    bad = with_invalid_utf8(world().build().SerializeToString(), "alt/rsync-only", 1)
    paths = write_inputs(tmp_path)
    write_atomically(paths.cache, bad)
    inputs = Inputs(paths, validate=True)
    inputs.load_all()
    svc = ListService(inputs, minimum=1, rng=random.Random(1))
    assert ask(svc, RA)[0] == 200
    with caplog.at_level("INFO"):
        inputs.check_first_generation()
    assert inputs.rejected == 1
    assert [r for r in caplog.records if "event=cache_invalid" in r.getMessage()
            and "UTF-8" in r.getMessage()]
    assert ask(svc, "path=pub/alt/rsync-only")[:2] == (500, CORRUPT_ENTRY)
    assert ask(svc, RA)[0] == 200
    # a reload is checked before it is swapped in
    write_atomically(paths.cache, bad.replace(b"rsync-only", b"rsync-0nly"))
    assert inputs.refresh() is False


def test_at_start_a_good_cache_passes_the_check(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    inputs = Inputs(write_inputs(tmp_path), validate=True)
    inputs.load_all()
    with caplog.at_level("INFO"):
        inputs.check_first_generation()
    assert inputs.rejected == 0
    assert [r for r in caplog.records if "event=cache_checked" in r.getMessage()]


# -- the generation does not depend on its file ----------------------------------------------


def _read_everything(index: CacheIndex, directories: list[str]) -> list[object]:
    seen: list[object] = []
    for directory in directories:
        view = index.view(directory)
        assert view is not None
        seen.append((sorted(view.by_host.items()), view.subpath, view.global_ids,
                     sorted(index.file_details(view))))
    return seen


def _truncate_then_read(cache: str, directories: list[str], out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    index = load(Path(cache))
    before = _read_everything(index, directories[:1])
    os.truncate(cache, 0)  # `: > cache`
    out.put(before + _read_everything(index, directories[1:]))


def test_truncating_the_file_in_place_leaves_the_loaded_generation_intact(tmp_path: Path) -> None:
    """Item 3 at its root: after a load, nothing reads the file again.  Run in a child process:
    a generation mapped from the file itself dies of SIGBUS there, not the test run."""
    cache = many_directories().write(tmp_path / "cache.proto")
    directories = [OS, REPODATA, *(f"pub/extra/{n}" for n in range(400))]
    expected = _read_everything(load(cache), directories)
    queue: multiprocessing.Queue = multiprocessing.get_context("fork").Queue()  # type: ignore[type-arg]
    child = multiprocessing.get_context("fork").Process(
        target=_truncate_then_read, args=(str(cache), directories, queue))
    child.start()
    child.join(60)
    assert child.exitcode == 0, f"the reading process ended with {child.exitcode}"
    assert queue.get(timeout=5) == expected
    assert cache.stat().st_size == 0


def test_the_snapshot_is_an_unnamed_file_next_to_the_cache_or_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = world().write(tmp_path / "cache.proto")
    index = load(cache)
    assert index.storage == "file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache.proto"]  # nothing named

    def no_private_file(**kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")  # a read-only cache directory

    monkeypatch.setattr(cachefile.tempfile, "TemporaryFile", no_private_file)
    in_memory = load(cache)
    assert in_memory.storage == "memory"
    assert in_memory.generation == index.generation
    view = in_memory.view(OS)
    assert view is not None and sorted(view.by_host) == [1, 2, 3, 4, 5, 6, 7]


def test_a_file_that_changes_while_it_is_read_is_rejected(tmp_path: Path) -> None:
    cache = world().write(tmp_path / "cache.proto")
    data = cache.read_bytes()
    with cache.open("r+b") as handle:
        handle.truncate(len(data) // 2)  # a writer in the middle of rewriting it in place
    with pytest.raises(CacheFormatError):
        load(cache)
    os.truncate(cache, 0)
    with pytest.raises(CacheFormatError, match="empty file"):
        load(cache)


async def test_in_place_rewrites_under_a_running_server(tmp_path: Path) -> None:
    """Item 3 as an operator does it: ``: > cache``, ``cp`` over it, ``truncate``; every request
    for a directory no request had parsed yet is answered from the generation kept."""
    paths = write_inputs(tmp_path, many_directories())
    cache = paths.cache
    newer = many_directories(NEW).build().SerializeToString()
    extra = iter(range(400))
    async with server_process(paths, tmp_path) as server, httpx.AsyncClient(timeout=5) as client:

        async def unparsed_directories_answer(count: int) -> set[str]:
            generations = set()
            for _ in range(count):
                response = await client.get(
                    f"{server.url}/mirrorlist?path=pub/extra/{next(extra)}&ip=198.51.100.7")
                assert response.status_code == 200, response.text
                assert response.text.endswith("/extra/" + response.text.split("/extra/")[-1])
                generations.add(response.headers["x-mirrorlist-generation"].split("-")[0])
            return generations

        assert await unparsed_directories_answer(5) == {str(CACHE_TIME)}
        os.truncate(cache, 0)  # `: > cache`
        await trio.sleep(0.5)  # the watcher saw it and rejected it
        assert await unparsed_directories_answer(50) == {str(CACHE_TIME)}
        # `cp newer cache`: the same inode truncated, then written piece by piece
        with cache.open("r+b") as handle:
            handle.truncate(0)
            for start in range(0, len(newer), len(newer) // 4 + 1):
                handle.write(newer[start : start + len(newer) // 4 + 1])
                handle.flush()
                await trio.sleep(0.3)  # the watcher sees the partial file (and rejects it)
        with trio.fail_after(10):
            while await unparsed_directories_answer(1) != {str(NEW)}:
                await trio.sleep(0.1)
        os.truncate(cache, len(newer) // 2)  # `truncate -s 50%`
        await trio.sleep(0.5)
        assert await unparsed_directories_answer(100) == {str(NEW)}
        assert server.process.returncode is None
    log = server.log.read_text()
    assert "reload_rejected" in log and "Bus error" not in log
