"""report_mirror check-ins through the real web app over HTTP, on SQLite and PostgreSQL:
MirrorManager2's client and ours against ``POST /xmlrpc``."""

from __future__ import annotations

import argparse
import base64
import bz2
import datetime
import io
import pickle
import xmlrpc.client
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from checkin_world import (
    EXPECTED_AFTER,
    EXPECTED_MESSAGE,
    PASSWORD,
    PRIVATE_HOST,
    PUBLIC_HOST,
    SITE,
    failures,
    host_directories,
    host_row,
    make_tree,
    mm2_client_checkin,
    mm2_encode,
    populate,
    snapshot,
    write_conf,
)
from checkin_app import TEST_LIMITS, CheckinServer, checkin_runtime
from mirrormanager_pg_store import schema as t
from mirrormanager_quart_ui.app import create_app
from mirrormanager_report_mirror import command
from mmcore.passwords import is_password_hash, verify_password

DATA = Path(__file__).parent / "data"
INVALID = "Invalid config file provided, please check your report_mirror.conf.error checking in"


def report(categories: dict | None = None, **overrides) -> dict:
    """A report as report_mirror builds it (the directories given directly)."""
    config = {
        "version": 0,
        "global": {"enabled": "1", "server": "http://unused/xmlrpc"},
        "site": {"enabled": "1", "name": SITE, "password": PASSWORD},
        "host": {"enabled": "1", "name": PRIVATE_HOST},
        "stats": {},
    }
    default = {"Fedora Linux": ["", "releases"]}
    for name, paths in (default if categories is None else categories).items():
        config[name.lower()] = {"enabled": "1", "dirtree": {path: {} for path in paths}}
    config.update(overrides)
    return config


def encoded(raw: bytes) -> str:
    return base64.urlsafe_b64encode(bz2.compress(raw)).decode()


async def fault_of(server: CheckinServer, *args) -> xmlrpc.client.Fault:
    with pytest.raises(xmlrpc.client.Fault) as caught:
        await server.call(*args)
    return caught.value


# ---------------------------------------------------------------------------------------------
# a check-in that works
# ---------------------------------------------------------------------------------------------


async def test_mm2_client_updates_adds_and_deletes(checkin_server, store, tmp_path):
    tree = make_tree(tmp_path / "mirror")
    conf = write_conf(tmp_path / "report_mirror.conf", checkin_server.url, tree)
    before = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) - datetime.timedelta(seconds=5)
    public_before = host_directories(store, checkin_server.world.public_host_id)

    answer = await checkin_server.run(mm2_client_checkin, conf)

    assert answer == EXPECTED_MESSAGE
    assert host_directories(store, checkin_server.world.private_host_id) == EXPECTED_AFTER
    assert host_directories(store, checkin_server.world.public_host_id) == public_before
    host = host_row(store, checkin_server.world.private_host_id)
    assert host.last_checked_in is not None and host.last_checked_in >= before
    assert host.user_active  # the report did not say
    [event] = checkin_server.events
    assert (event.host.name, event.site.name, event.categories) == (
        PRIVATE_HOST, SITE, ("Fedora Linux", "Fedora EPEL"))
    assert (event.directories_updated, event.directories_added,
            event.directories_deleted) == (4, 4, 2)

    # the same report again: every directory has its row now
    again = await checkin_server.run(mm2_client_checkin, conf)
    assert again == (
        "Category Fedora Linux directories updated: 6  added: 0  deleted 0\n"
        "Category Fedora EPEL directories updated: 2  added: 0  deleted 0\n"
        "checked in successful"
    )
    assert host_directories(store, checkin_server.world.private_host_id) == EXPECTED_AFTER


async def test_our_client_gives_the_same_result(checkin_server, store, tmp_path):
    tree = make_tree(tmp_path / "mirror")
    conf = write_conf(tmp_path / "report_mirror.conf", checkin_server.url, tree)
    out = io.StringIO()
    args = argparse.Namespace(report_config=str(conf), exclude_from=None, output=None,
                              no_send=False, input=None, debug=False, timeout=30.0)

    status = await checkin_server.run(command.run, argparse.Namespace(out=out, err=out), args)

    assert status == 0
    assert out.getvalue() == EXPECTED_MESSAGE + "\n"
    assert host_directories(store, checkin_server.world.private_host_id) == EXPECTED_AFTER
    assert len(checkin_server.events) == 1


async def test_user_active_is_toggled(checkin_server, store, tmp_path):
    tree = make_tree(tmp_path / "mirror")
    host_id = checkin_server.world.private_host_id
    for value, expected in (("0", False), ("yes", True), ("off", False), ("t", True)):
        conf = write_conf(tmp_path / "report_mirror.conf", checkin_server.url, tree,
                          user_active=value)
        assert (await checkin_server.run(mm2_client_checkin, conf)).endswith(
            "checked in successful")
        assert host_row(store, host_id).user_active is expected, value
        assert checkin_server.events[-1].user_active is expected


async def test_unknown_categories_are_ignored(checkin_server, store):
    # a category the host does not carry, one that does not exist, one in another case
    payload = report({"Fedora Archive": ["", "fedora"], "No Such Category": [""],
                      "FEDORA EPEL": ["", "9"]})
    answer = await checkin_server.call(mm2_encode(payload))
    assert answer == (
        "Category Fedora EPEL directories updated: 1  added: 1  deleted 0\n"
        "checked in successful"
    )
    after = host_directories(store, checkin_server.world.private_host_id)
    assert "Fedora Archive" not in after
    assert after["Fedora EPEL"] == {"": True, "9": True}
    assert after["Fedora Linux"] == {"": True, "releases": False, "releases/42": True,
                                     "development": True, "old": False}  # not reported: kept


async def test_report_without_categories_checks_in(checkin_server, store):
    before = host_directories(store, checkin_server.world.private_host_id)
    assert await checkin_server.call(mm2_encode(report({}))) == "checked in successful"
    assert host_directories(store, checkin_server.world.private_host_id) == before
    assert host_row(store, checkin_server.world.private_host_id).last_checked_in is not None


async def test_password_stored_in_clear_is_accepted_and_hashed(store, tmp_path):
    """A MirrorManager2 database adopted in place holds site passwords in clear."""
    populate(store, password=PASSWORD)
    client = create_app(checkin_runtime(store, tmp_path)).test_client()
    body = xmlrpc.client.dumps((mm2_encode(report()),), "checkin")
    answer = await client.post("/xmlrpc", data=body)
    (message,), _ = xmlrpc.client.loads(await answer.get_data())
    assert message.endswith("checked in successful")
    with store.engine.connect() as conn:
        stored = conn.execute(sa.select(t.site.c.password).where(t.site.c.id == 1)).scalar()
    assert is_password_hash(stored) and verify_password(PASSWORD, stored)


# ---------------------------------------------------------------------------------------------
# refusals MirrorManager2 answered with a message: same message, nothing changed
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("payload", "expected"), [
    pytest.param(report(site={"enabled": "1", "name": SITE, "password": "wrong"}),
                 "Config file site name or password incorrect.\nerror checking in",
                 id="wrong-password"),
    pytest.param(report(site={"enabled": "1", "name": "No Such Site", "password": PASSWORD}),
                 "Config file site name or password incorrect.\nerror checking in",
                 id="unknown-site"),
    pytest.param(report(host={"enabled": "1", "name": "nowhere.example.org"}),
                 "Config file host name for site not found.\nerror checking in",
                 id="unknown-host"),
    pytest.param(report(host={"enabled": "1", "name": PUBLIC_HOST}),
                 "Only private mirrors are allowed to use report_mirror.\nerror checking in",
                 id="public-host"),
    pytest.param(report(version=1), "config file version is not 0, is 1.\n" + INVALID,
                 id="wrong-version"),
    pytest.param({k: v for k, v in report().items() if k != "version"},
                 "config file has no version field.\n" + INVALID, id="no-version"),
    pytest.param({k: v for k, v in report().items() if k != "host"},
                 "config file missing section host.\n" + INVALID, id="missing-host"),
    pytest.param({k: v for k, v in report().items() if k != "site"},
                 "config file missing section site.\n" + INVALID, id="missing-site"),
    pytest.param(report(site={"enabled": "1", "name": SITE}),
                 "config file [site] missing required option password.\n" + INVALID,
                 id="missing-password"),
    pytest.param(report(**{"global": {"enabled": "0"}}),
                 "config file section [global] not enabled.\n" + INVALID, id="global-disabled"),
    pytest.param(report(**{"fedora linux": {"enabled": "1"}}),
                 "section [fedora linux] missing required option dirtree.\n" + INVALID,
                 id="no-dirtree"),
    pytest.param(["not", "a", "dict"],
                 "config file is not a dict.\nPlease update your copy of report_mirror.\n"
                 + INVALID, id="not-a-dict"),
    pytest.param(report(site={"enabled": "1", "name": ["a", "list"], "password": PASSWORD}),
                 "config file [site] option name is not a string.\n" + INVALID,
                 id="name-not-a-string"),
])
async def test_refused_with_mm2_message(checkin_server, store, payload, expected):
    before = snapshot(store)
    assert await checkin_server.call(mm2_encode(payload)) == expected
    assert snapshot(store) == before
    assert checkin_server.events == []


async def test_failed_check_ins_are_rate_limited_per_site(checkin_server, store):
    wrong = mm2_encode(report(site={"enabled": "1", "name": SITE, "password": "guess"}))
    for attempt in range(1, TEST_LIMITS.max_failures + 1):
        assert (await checkin_server.call(wrong)).startswith("Config file site name or password")
        assert failures(store) == {"site:1": attempt}
    before = snapshot(store)
    # the right password does not help while the site is locked, nor does it count
    refused = await checkin_server.call(mm2_encode(report()))
    assert refused == ("Too many failed check-ins for this site: check-ins are refused for 10 "
                       "more minutes.\nerror checking in")
    assert snapshot(store) == before and failures(store) == {"site:1": 3}
    # another site is not affected
    other = report(site={"enabled": "1", "name": "Other Site", "password": "x"})
    assert (await checkin_server.call(mm2_encode(other))).endswith("checked in successful")
    # once the window has passed, the right password works
    with store.engine.begin() as conn:
        conn.execute(sa.update(t.mm_login_failure).values(at=datetime.datetime(2000, 1, 1)))
    assert (await checkin_server.call(mm2_encode(report()))).endswith("checked in successful")
    # failures below the limit are cleared by a successful check-in
    await checkin_server.call(wrong)
    await checkin_server.call(wrong)
    assert failures(store) == {"site:1": 2}
    assert (await checkin_server.call(mm2_encode(report()))).endswith("checked in successful")
    assert failures(store) == {}


# ---------------------------------------------------------------------------------------------
# what cannot be read: a fault, nothing changed, nothing run
# ---------------------------------------------------------------------------------------------


class CreatesFile:
    """Unpickling this opens (creates) a file: what a hostile pickle would do, harmlessly."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self):
        return (open, (str(self.path), "w"))


def test_the_hostile_pickle_really_creates_its_file(tmp_path):
    """The control for the next test: unpickled, the payload creates its file."""
    control = tmp_path / "control"
    pickle.loads(pickle.dumps({"version": 0, "x": CreatesFile(control)}, protocol=2)).pop("x")
    assert control.exists()


@pytest.mark.parametrize("protocol", [0, 2, pickle.HIGHEST_PROTOCOL])
async def test_pickle_payload_is_refused_and_never_run(checkin_server, store, tmp_path, protocol):
    marker = tmp_path / "pwned"
    payload = pickle.dumps({"version": 0, "x": CreatesFile(marker)}, protocol=protocol)
    before = snapshot(store)
    fault = await fault_of(checkin_server, encoded(payload))
    assert fault.faultCode == -32602
    assert "pickle" in fault.faultString and "never unpickled" in fault.faultString
    assert not marker.exists()
    assert snapshot(store) == before


@pytest.mark.parametrize(("argument", "message"), [
    pytest.param("not base64 at all!", "payload is not base64", id="malformed-base64"),
    pytest.param(encoded(b"x")[:-3], "payload is not base64", id="bad-padding"),
    pytest.param(base64.urlsafe_b64encode(b"BZh9" + b"garbage" * 20).decode(),
                 "payload is not valid bzip2 data", id="malformed-bz2"),
    pytest.param(base64.urlsafe_b64encode(b"plain text").decode(),
                 "payload is not bzip2-compressed", id="not-bz2"),
    pytest.param(base64.urlsafe_b64encode(bz2.compress(b'{"version": 0}')[:-10]).decode(),
                 "payload's bzip2 data is truncated", id="truncated-bz2"),
    pytest.param(encoded(b"{not json"), "payload is not JSON", id="not-json"),
    pytest.param(encoded(b"[" * 100_000 + b"]" * 100_000), "more than", id="deep-nesting"),
])
async def test_undecodable_payload_is_a_fault(checkin_server, store, argument, message):
    before = snapshot(store)
    fault = await fault_of(checkin_server, argument)
    assert fault.faultCode == -32602
    assert message in fault.faultString
    assert snapshot(store) == before


async def test_bz2_bomb_fails_fast(checkin_server, store):
    bomb = (DATA / "zeros-1GiB.bz2").read_bytes()
    before = snapshot(store)
    fault = await fault_of(checkin_server, base64.urlsafe_b64encode(bomb).decode())
    assert fault.faultCode == -32602
    assert f"decompresses to more than {TEST_LIMITS.max_payload_bytes} bytes" in fault.faultString
    assert snapshot(store) == before


async def test_too_many_directories(checkin_server, store):
    payload = report({"Fedora Linux": [f"d{i}" for i in range(TEST_LIMITS.max_directories + 1)]})
    before = snapshot(store)
    fault = await fault_of(checkin_server, mm2_encode(payload))
    assert "max_directories" in fault.faultString
    assert snapshot(store) == before


async def test_oversized_request_is_refused(checkin_server, store):
    before = snapshot(store)
    big = "A" * (TEST_LIMITS.max_request_bytes + 1)
    fault = await fault_of(checkin_server, big)  # Content-Length says it up front
    assert fault.faultCode == -32600 and "max_request_bytes" in fault.faultString

    async def chunks():  # no Content-Length: counted while read
        body = xmlrpc.client.dumps((big,), "checkin").encode()
        for start in range(0, len(body), 8192):
            yield body[start:start + 8192]

    async with httpx.AsyncClient(timeout=30) as client:
        answer = await client.post(checkin_server.url, content=chunks())
    assert answer.status_code == 200
    with pytest.raises(xmlrpc.client.Fault, match="max_request_bytes"):
        xmlrpc.client.loads(answer.content)
    assert snapshot(store) == before


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE methodCall [
 <!ENTITY a "aaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
 <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
 <!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
 <!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">
]>
<methodCall><methodName>checkin</methodName>
<params><param><value><string>&h;</string></value></param></params></methodCall>"""

SMALL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE methodCall [<!ENTITY payload "{payload}">]>
<methodCall><methodName>checkin</methodName>
<params><param><value><string>&payload;</string></value></param></params></methodCall>"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE methodCall [<!ENTITY secret SYSTEM "file:///etc/hostname">]>
<methodCall><methodName>checkin</methodName>
<params><param><value><string>&secret;</string></value></param></params></methodCall>"""


@pytest.mark.parametrize("document", [
    pytest.param(BILLION_LAUGHS, id="billion-laughs"),
    pytest.param(SMALL_ENTITY.format(payload=mm2_encode(report())), id="small-entity"),
    pytest.param(EXTERNAL_ENTITY, id="external-entity"),
])
async def test_xml_with_entities_is_refused(checkin_server, store, document):
    before = snapshot(store)
    async with httpx.AsyncClient(timeout=30) as client:
        answer = await client.post(checkin_server.url, content=document.encode(),
                                   headers={"Content-Type": "text/xml"})
    assert answer.status_code == 200
    with pytest.raises(xmlrpc.client.Fault) as caught:
        xmlrpc.client.loads(answer.content)
    assert caught.value.faultCode == -32700 and "DTD" in caught.value.faultString
    assert snapshot(store) == before


@pytest.mark.parametrize(("body", "code"), [
    pytest.param(b"<methodCall><methodName>checkin", -32700, id="not-well-formed"),
    pytest.param(b"", -32700, id="empty"),
    pytest.param(b"<methodResponse><params><param><value>x</value></param></params>"
                 b"</methodResponse>", -32600, id="a-response"),
    pytest.param(xmlrpc.client.dumps(("a",), "system.listMethods").encode(), -32601,
                 id="unknown-method"),
    pytest.param(xmlrpc.client.dumps(("a", "b"), "checkin").encode(), -32602,
                 id="two-arguments"),
    pytest.param(xmlrpc.client.dumps((42,), "checkin").encode(), -32602, id="not-a-string"),
    pytest.param(b"<methodCall><methodName>checkin</methodName><params><param><value><int>x"
                 b"</int></value></param></params></methodCall>", -32600, id="bad-int"),
])
async def test_malformed_calls_are_faults(checkin_server, store, body, code):
    before = snapshot(store)
    async with httpx.AsyncClient(timeout=30) as client:
        answer = await client.post(checkin_server.url, content=body)
    with pytest.raises(xmlrpc.client.Fault) as caught:
        xmlrpc.client.loads(answer.content)
    assert caught.value.faultCode == code
    assert snapshot(store) == before


async def test_control_characters_in_messages_stay_xml(checkin_server):
    payload = report(**{"bad\x01key\udcff": {"enabled": "1"}})
    answer = await checkin_server.call(mm2_encode(payload))
    assert answer == "section [bad?key?] missing required option dirtree.\n" + INVALID

