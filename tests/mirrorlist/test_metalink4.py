"""Metalink 4 (RFC 5854) answers: valid against a RELAX NG schema written from the RFC
(tests/data/metalink4.rng), the same hashes, sizes, priorities and locations as the 3.0
document, chosen by ``v=4`` or ``Accept``, fetched by a real aria2c from a loopback mirror; and
the RFC 9530 ``Repr-Digest`` header of metalink answers."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import attrs
import httpx
import pytest
import trio
from listserver_data import CACHE_TIME, OS, SUB, service, world, write_inputs
from lxml import etree
from system_tools import needs_aria2c
from test_server_http import settings_for, start, static_http_mirror

from mirrormanager_mirrorlist import mirrormanager_pb2 as pb
from mirrormanager_mirrorlist.app import ListService
from mirrormanager_mirrorlist.builder import CacheBuilder
from mirrormanager_mirrorlist.httpmessages import Request, encode_answer
from mirrormanager_mirrorlist.metalink4 import wants_metalink4

RA = "repo=fedora-40&arch=x86_64"
SCHEMA = etree.RelaxNG(etree.parse(str(Path(__file__).parents[1] / "data" / "metalink4.rng")))
V4 = "{urn:ietf:params:xml:ns:metalink}"
V3 = "{http://www.metalinker.org/}"
MM0 = "{http://fedorahosted.org/mirrormanager}"


@pytest.fixture
def svc(tmp_path: Path) -> ListService:
    return service(tmp_path, minimum=5)


def valid(body: str) -> etree._Element:
    root = etree.fromstring(body.encode("utf-8"))
    assert SCHEMA.validate(root), SCHEMA.error_log
    return root


def test_schema_rejects_what_rfc_5854_forbids() -> None:
    ok = ('<metalink xmlns="urn:ietf:params:xml:ns:metalink"><file name="f">'
          '<url priority="1" location="de">http://x/f</url></file></metalink>')
    assert SCHEMA.validate(etree.fromstring(ok))
    for bad in (
        '<metalink xmlns="urn:ietf:params:xml:ns:metalink"><file name="f"/></metalink>',
        ok.replace('priority="1"', 'priority="0"'),
        ok.replace('location="de"', 'location="deu"'),
        ok.replace("<url", "<size>-1</size><url"),
        '<metalink xmlns="urn:ietf:params:xml:ns:metalink"></metalink>',
        ok.replace("<url", "<published>2024-01-01T00:00:00</published><url"),
    ):
        assert not SCHEMA.validate(etree.fromstring(bad)), bad


def test_v4_carries_what_v3_carries(svc: ListService) -> None:
    for query in (RA + "&ip=10.1.2.3", RA + "&country=de", RA + "&ip=203.0.113.9",
                  RA + "&country=de&protocol=rsync"):
        # the same random draws for both documents
        svc.rng.seed(11)
        v3 = svc.answer(Request("/metalink", query, None, "127.0.0.1"))
        svc.rng.seed(11)
        v4 = svc.answer(Request("/metalink", query + "&v=4", None, "127.0.0.1"))
        assert (v4.status, v4.content_type) == (200, "application/metalink4+xml")
        root4 = valid(v4.body)
        root3 = etree.fromstring(v3.body.encode("utf-8"))
        file3 = root3.find(f"{V3}files/{V3}file")
        file4 = root4.find(f"{V4}file")
        assert file4.get("name") == file3.get("name") == "repomd.xml"
        assert file4.findtext(f"{V4}size") == file3.findtext(f"{V3}size")
        assert file4.findtext(f"{MM0}timestamp") == file3.findtext(f"{MM0}timestamp")
        names = {"md5": "md5", "sha1": "sha-1", "sha256": "sha-256", "sha512": "sha-512"}
        assert {(h.get("type"), h.text) for h in file4.findall(f"{V4}hash")} == {
            (names[h.get("type")], h.text) for h in file3.findall(f"{V3}verification/{V3}hash")}
        alt3 = file3.findall(f"{MM0}alternates/{MM0}alternate")
        alt4 = file4.findall(f"{MM0}alternates/{MM0}alternate")
        assert [(a.findtext(f"{MM0}timestamp"), a.findtext(f"{MM0}size"),
                 a.find(f"{MM0}hash").text) for a in alt4] == [
            (a.findtext(f"{MM0}timestamp"), a.findtext(f"{V3}size"),
             a.find(f"{V3}verification/{V3}hash").text) for a in alt3]
        urls3 = [(u.text, str(101 - int(u.get("preference"))), u.get("location").lower() or None,
                  u.get(f"{MM0}private")) for u in file3.iter(f"{V3}url")]
        urls4 = [(u.text, u.get("priority"), u.get("location"), u.get(f"{MM0}private"))
                 for u in file4.iter(f"{V4}url")]
        assert urls4 == urls3 and urls4


def test_accept_header_negotiation(svc: ListService) -> None:
    def kind(accept: str | None, query: str = RA + "&country=de") -> str | None:
        return svc.answer(Request("/metalink", query, None, "127.0.0.1", b"GET",
                                  accept)).content_type

    assert kind(None) == "application/metalink+xml"
    assert kind("*/*, application/metalink4+xml, application/metalink+xml") == (
        "application/metalink4+xml")
    assert kind("application/metalink4+xml;q=0, application/metalink+xml") == (
        "application/metalink+xml")
    assert kind("application/metalink4+xmlfoo") == "application/metalink+xml"
    # failures keep the 3.0 failure document; /mirrorlist is not affected
    assert kind("application/metalink4+xml", "repo=nope&arch=x86_64") == (
        "application/metalink+xml")
    answer = svc.answer(Request("/mirrorlist", RA + "&v=4", None, "127.0.0.1", b"GET",
                                "application/metalink4+xml"))
    assert answer.content_type == "text/plain"
    assert wants_metalink4({"v": "4"}, None) and not wants_metalink4({"v": "3"}, None)


def test_repr_digest_of_the_file(tmp_path: Path) -> None:
    content = b"<repomd/>\n"
    b = world()
    b.files("pub/fedora/linux/releases/40/Everything/x86_64/os/repodata", "repomd.xml",
            pb.FileDetailsType(TimeStamp=5, Size=len(content),
                               SHA256=hashlib.sha256(content).hexdigest(),
                               SHA512=hashlib.sha512(content).hexdigest()))
    from mirrormanager_mirrorlist.inputs import Inputs

    inputs = Inputs(write_inputs(tmp_path, b))
    inputs.load_all()
    svc = ListService(inputs)
    expected = (f"sha-256=:{base64.b64encode(hashlib.sha256(content).digest()).decode()}:, "
                f"sha-512=:{base64.b64encode(hashlib.sha512(content).digest()).decode()}:")
    for query in (RA + "&country=de", RA + "&country=de&v=4"):
        answer = svc.answer(Request("/metalink", query, None, "127.0.0.1"))
        assert dict(answer.headers) == {"Repr-Digest": expected}
        wire = encode_answer(answer, keep_alive=True).split(b"\r\n\r\n")[0].decode()
        assert f"\r\nRepr-Digest: {expected}" in wire
    plain = svc.answer(Request("/mirrorlist", RA, None, "127.0.0.1"))
    assert plain.headers == ()


def _mirror_cache(tmp_path: Path, port: int, content: bytes) -> Path:
    b = CacheBuilder(CACHE_TIME)
    b.host(1, [f"http://127.0.0.1:{port}/pub", "rsync://127.0.0.1/nothing"], country="US")
    b.host(2, ["http://127.0.0.1:9/dead"], country="US", bandwidth=1)
    b.directory(OS, [1, 2], subpath=SUB)
    b.directory(OS + "/repodata", [1, 2], subpath=SUB + "/repodata")
    b.repo("fedora-40", "x86_64", OS)
    b.files(OS + "/repodata", "repomd.xml", pb.FileDetailsType(
        TimeStamp=1, Size=len(content), SHA256=hashlib.sha256(content).hexdigest(),
        SHA512=hashlib.sha512(content).hexdigest()))
    return write_inputs(tmp_path, b).cache


@needs_aria2c
@pytest.mark.parametrize("how", ["v=4", "accept"])
async def test_aria2c_downloads_through_metalink4(tmp_path: Path, nursery: trio.Nursery,
                                                  how: str) -> None:
    tree = tmp_path / "mirror"
    (tree / "pub" / SUB / "repodata").mkdir(parents=True)
    content = b'<?xml version="1.0"?><repomd><revision>44</revision></repomd>\n'
    (tree / "pub" / SUB / "repodata" / "repomd.xml").write_bytes(content)
    async with static_http_mirror(tree) as mirror_port:
        cache = _mirror_cache(tmp_path, mirror_port, content)
        settings = attrs.evolve(settings_for(tmp_path / "x"), cache_path=str(cache))
        started, stop = await start(nursery, settings)
        url = f"{started.url}/metalink?{RA}&country=us" + ("&v=4" if how == "v=4" else "")
        async with httpx.AsyncClient() as client:
            seen = await client.get(url, headers={
                "Accept": "*/*,application/metalink4+xml,application/metalink+xml"})
        assert seen.headers["content-type"] == "application/metalink4+xml"
        valid(seen.text)
        out = tmp_path / "download"
        result = await trio.run_process(
            ["aria2c", "--follow-metalink=mem", "--check-integrity=true", "--max-tries=1",
             "--dir", str(out), "--allow-overwrite=true", "--console-log-level=warn",
             "--summary-interval=0", "--connect-timeout=5", "--timeout=10",
             "--header=Accept: application/metalink4+xml", url],
            capture_stdout=True, capture_stderr=True, check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert (out / "repomd.xml").read_bytes() == content
        stop.set()


@needs_aria2c
async def test_aria2c_checks_the_metalink4_hash(tmp_path: Path, nursery: trio.Nursery) -> None:
    tree = tmp_path / "mirror"
    (tree / "pub" / SUB / "repodata").mkdir(parents=True)
    (tree / "pub" / SUB / "repodata" / "repomd.xml").write_bytes(b"tampered!!!!\n")
    async with static_http_mirror(tree) as mirror_port:
        cache = _mirror_cache(tmp_path, mirror_port, b"the real one\n")
        settings = attrs.evolve(settings_for(tmp_path / "x"), cache_path=str(cache))
        started, stop = await start(nursery, settings)
        result = await trio.run_process(
            ["aria2c", "--follow-metalink=mem", "--check-integrity=true", "--max-tries=1",
             "--dir", str(tmp_path / "dl"), "--console-log-level=warn", "--summary-interval=0",
             "--connect-timeout=5", "--timeout=10",
             f"{started.url}/metalink?{RA}&country=us&v=4"],
            capture_stdout=True, capture_stderr=True, check=False,
        )
        assert result.returncode != 0  # the same size: the hash failed
        assert not (tmp_path / "dl" / "repomd.xml").exists() or (
            tmp_path / "dl" / "repomd.xml").read_bytes() != b"the real one\n"
        stop.set()
