"""``mirrormanager report-mirror`` through the real command line: the report it builds (the
same as MirrorManager2's client), its options and its errors."""

from __future__ import annotations

import io
import json
import os
import stat

import pytest

from checkin_world import (
    EXPECTED_AFTER,
    EXPECTED_MESSAGE,
    host_directories,
    make_tree,
    mm2_client_config,
    mm2_encode,
    write_conf,
)
from mirrormanager_report_mirror.report import build_report, encode_report
from mmcore.cli import main

NOWHERE = "http://127.0.0.1:1/xmlrpc"  # nothing listens on port 1


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(["report-mirror", *args], out=out, err=err)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture(autouse=True)
def _no_mirrormanager_toml(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MIRRORMANAGER_CONFIG", raising=False)


def test_output_without_sending_is_mm2s_report(tmp_path):
    tree = make_tree(tmp_path / "mirror")
    conf = write_conf(tmp_path / "report_mirror.conf", NOWHERE, tree, user_active="1")
    status, out, err = cli("-c", str(conf), "--no-send", "--output", str(tmp_path / "r.json"))
    assert (status, out, err) == (0, "", "")
    written = (tmp_path / "r.json").read_text()
    assert written == json.dumps(mm2_client_config(conf))  # the same bytes
    assert json.loads(written)["fedora linux"]["dirtree"].keys() == {
        "", "releases", "releases/42", "releases/42/Everything", "updates", "updates/42",
        "not-in-master"}
    assert "path" not in json.loads(written)["fedora linux"]
    assert stat.S_IMODE(os.stat(tmp_path / "r.json").st_mode) == 0o600  # holds the password


def test_exclude_from_prunes_subtrees(tmp_path):
    tree = make_tree(tmp_path / "mirror")
    excludes = tmp_path / "excludes"
    excludes.write_text("# comment\n\n/42/\nnot-in\n")
    conf = write_conf(tmp_path / "report_mirror.conf", NOWHERE, tree)
    status, _, _ = cli("-c", str(conf), "-n", "-o", str(tmp_path / "r.json"),
                       "--exclude-from", str(excludes))
    assert status == 0
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["fedora linux"]["dirtree"].keys() == {"", "releases", "updates"}
    assert report["fedora epel"]["dirtree"].keys() == {"", "9"}  # the blank line matched nothing


def test_input_replaces_the_walk_and_debug_prints(tmp_path):
    conf = write_conf(tmp_path / "report_mirror.conf", NOWHERE, {"Fedora EPEL": tmp_path / "no"})
    saved = tmp_path / "saved.json"
    saved.write_text(json.dumps({"version": 0, "global": {}, "site": {}, "host": {},
                                 "stats": {}, "fedora epel": {"dirtree": {"9": {}}}}))
    status, out, _ = cli("-c", str(conf), "-n", "-d", "-i", str(saved),
                         "-o", str(tmp_path / "r.json"))
    assert status == 0
    assert json.loads((tmp_path / "r.json").read_text())["fedora epel"] == {
        "dirtree": {"9": {}}, "enabled": "1"}
    assert "'fedora epel'" in out


def test_a_disabled_category_is_still_reported_as_by_mm2(tmp_path):
    tree = make_tree(tmp_path / "mirror", {"Fedora EPEL": [""]})
    conf = write_conf(tmp_path / "report_mirror.conf", NOWHERE, tree)
    conf.write_text(conf.read_text().replace("[Fedora EPEL]\nenabled = 1", "[Fedora EPEL]\n"
                                             "enabled = 0"))
    cli("-c", str(conf), "-n", "-o", str(tmp_path / "r.json"))
    assert json.loads((tmp_path / "r.json").read_text())["fedora epel"] == {
        "enabled": "0", "dirtree": {"": {}}}
    assert json.loads((tmp_path / "r.json").read_text()) == mm2_client_config(conf)


@pytest.mark.parametrize(("edit", "message"), [
    (lambda text: text.replace("[host]", "[hosts]"), "missing section [host]"),
    (lambda text: text.replace("password = report secret\n", ""),
     "missing required option password in [site]"),
    (lambda text: text.replace("[site]\nenabled = 1", "[site]\nenabled = 0"),
     "section [site] is disabled"),
    (lambda text: text.replace("[global]\nenabled = 1", "[global]\nenabled = 0"),
     "section [global] is disabled"),
    (lambda text: text + "[global]\nenabled = 1\n", "already exists"),
    (lambda text: text.replace("name = private.example.org", "name = 100%"),
     "'%' must be followed by"),
    (lambda text: text.replace("path = ", "path = /does/not/exist"),
     "is not a directory; nothing sent"),
])
def test_configuration_errors(tmp_path, edit, message):
    tree = make_tree(tmp_path / "mirror", {"Fedora EPEL": [""]})
    conf = write_conf(tmp_path / "report_mirror.conf", NOWHERE, tree)
    conf.write_text(edit(conf.read_text()))
    status, out, err = cli("-c", str(conf), "-n")
    assert status == 1 and out == ""
    assert message in err and "Traceback" not in err


def test_missing_configuration_file(tmp_path):
    status, _, err = cli("-c", str(tmp_path / "nope.conf"))
    assert status == 1 and "nope.conf not found" in err


def test_unreachable_server(tmp_path):
    conf = write_conf(tmp_path / "report_mirror.conf", NOWHERE, make_tree(tmp_path / "m"))
    status, _, err = cli("-c", str(conf), "--timeout", "5")
    assert status == 1 and "error checking in" in err and "try again later" in err


async def test_sends_to_our_server_and_exits_by_the_answer(checkin_server, store, tmp_path):
    tree = make_tree(tmp_path / "mirror")
    conf = write_conf(tmp_path / "report_mirror.conf", checkin_server.url, tree)
    status, out, _ = await checkin_server.run(cli, "-c", str(conf))
    assert (status, out) == (0, EXPECTED_MESSAGE + "\n")
    assert host_directories(store, checkin_server.world.private_host_id) == EXPECTED_AFTER

    wrong = write_conf(tmp_path / "wrong.conf", checkin_server.url, tree, password="nope")
    status, out, err = await checkin_server.run(cli, "-c", str(wrong))
    assert (status, out, err) == (
        1, "", "Config file site name or password incorrect.\nerror checking in\n")

    bad_url = write_conf(tmp_path / "bad.conf", checkin_server.url.replace("/xmlrpc", "/nope"),
                         tree)
    status, _, err = await checkin_server.run(cli, "-c", str(bad_url))
    assert status == 1 and "error checking in: HTTP 400 from" in err  # (the UI's CSRF check)


def test_report_and_encoding_are_mm2s_byte_for_byte(tmp_path):
    """Our client's report is MirrorManager2's, byte for byte."""
    tree = make_tree(tmp_path / "mirror")
    conf = write_conf(tmp_path / "report_mirror.conf", NOWHERE, tree,
                      user_active="1")
    ours = build_report(conf)
    assert json.dumps(ours) == json.dumps(mm2_client_config(conf))
    assert encode_report(ours) == mm2_encode(mm2_client_config(conf))
