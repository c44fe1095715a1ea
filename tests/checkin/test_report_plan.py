"""Validation (MirrorManager2's order and messages) and the change a report makes, on their own."""

from __future__ import annotations

import pytest

from mmcore.checkin.payload import PayloadError
from mmcore.checkin.plan import category_message, plan_category
from mmcore.checkin.report import InvalidReport, read_report
from mmcore.checkin.store import CategoryState, StoredDirectory


def base(**overrides) -> dict:
    config = {"version": 0, "global": {"enabled": "1"}, "site": {"name": "s", "password": "p"},
              "host": {"name": "h"}, "stats": {}}
    config.update(overrides)
    return config


def test_report_is_read():
    config = base(**{"fedora linux": {"enabled": "0", "dirtree": {"": {}, "/releases/": {},
                                                                   "a//b/": {"x": 1}}}})
    report = read_report(config, max_directories=10)
    assert (report.site_name, report.password, report.host_name) == ("s", "p", "h")
    assert report.user_active is None
    [category] = report.categories
    assert category.key == "fedora linux"
    assert category.paths == ("", "releases", "a//b")  # "/" stripped from the ends only
    assert "password" not in repr(report)  # the password stays out of logs


@pytest.mark.parametrize(("value", "expected"), [
    ("1", True), ("true", True), ("t", True), ("y", True), ("yes", True),
    ("0", False), ("True", False), ("no", False), ("", False), (["1"], False), (1, False),
])
def test_user_active_values_as_mm2(value, expected):
    report = read_report(base(host={"name": "h", "user_active": value}), max_directories=1)
    assert report.user_active is expected


@pytest.mark.parametrize(("config", "message"), [
    (base(version=False), None),  # MirrorManager2 compares with ==: False == 0 passes
    (base(version="0"), "config file version is not 0, is 0.\n"),
    (base(version=[0] * 1000), "config file version is not 0, is [0, 0"),
    (base(**{"global": "1"}), "config file section [global] not enabled.\n"),
    (base(site="name password"), "config file [site] missing required option name.\n"),
    (base(host=["name"]), "section [host] missing required option name.\n"),
    (base(site={"name": "s", "password": 5}),
     "config file [site] option password is not a string.\n"),
    (base(x="dirtree"), "section [x] missing required option dirtree.\n"),
    (base(x={"dirtree": ["a"]}), "section [x] option dirtree is not a directory tree.\n"),
])
def test_validation_messages(config, message):
    if message is None:
        read_report(config, max_directories=1)
        return
    with pytest.raises(InvalidReport) as caught:
        read_report(config, max_directories=1)
    assert caught.value.message.startswith(message)
    assert len(caught.value.message) < 200


def test_directory_limit_counts_every_category():
    config = base(a={"dirtree": {"1": {}, "2": {}}}, b={"dirtree": {"3": {}}})
    read_report(config, max_directories=3)
    with pytest.raises(PayloadError, match="more than 2 directories"):
        read_report(config, max_directories=2)


def state(stored: dict[str | None, bool], known: dict[str, int]) -> CategoryState:
    return CategoryState(
        host_category_id=7, category_name="Fedora Linux", key="fedora linux",
        stored=tuple(StoredDirectory(i, path, up) for i, (path, up) in
                     enumerate(stored.items(), 100)),
        directories=known,
    )


def test_plan_counts_as_mm2():
    before = state({"": True, "a": False, "gone": True, None: True}, {"new": 5, "also": 6})
    change = plan_category(before, ["", "a", "new", "unknown", "a", "new", "unknown"])
    # "" and "a" have rows, "new" gets one; repeats count as updated (MirrorManager2 found the
    # row it had just committed); "unknown" has no directory and is skipped
    assert (change.updated, change.added, change.deleted) == (4, 1, 2)
    assert change.mark_up2date == (101,)  # "a" only: "" is already up to date
    assert change.add == (("new", 5),)
    assert change.delete == (102, 103)  # "gone" and the row without a path
    assert category_message(change) == (
        "Category Fedora Linux directories updated: 4  added: 1  deleted 2\n")


def test_empty_report_deletes_everything():
    change = plan_category(state({"": True, "a": True}, {}), [])
    assert (change.updated, change.added, change.deleted) == (0, 0, 2)
