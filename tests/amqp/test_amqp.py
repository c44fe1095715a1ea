"""The message-bus plugin against a real RabbitMQ: events announced through the runtime arrive as
Fedora's mirrormanager messages (bodies valid against the mirrormanager-messages schemas, read
back by fedora-messaging's own consumer code); publishing never blocks, drops are counted, a
broken connection is re-established."""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Iterator

import jsonschema
import pika
import pytest
from fedora_messaging import message as fm_message

from mirrormanager_amqp import publisher as publisher_module
from mirrormanager_amqp.config import AmqpConfig
from mirrormanager_amqp.messages import messages_for
from mirrormanager_amqp.publisher import Publisher, publisher_for
from mmcore.config import Config
from mmcore.events import (
    HostAdded,
    HostCrawled,
    HostDeleted,
    HostDisabled,
    HostInfo,
    HostUpdated,
    SiteDeleted,
    SiteInfo,
)
from mmcore.plugins import get_plugin_manager
from mmcore.runtime import Runtime

AMQP_URL = os.environ.get("MIRRORMANAGER_TEST_AMQP_URL",
                          "amqp://guest:guest@127.0.0.1:5672/%2F")

SITE = SiteInfo(id=3, name="Alpha", org_url="https://alpha.example", admins=("ralph", "kevin"))
HOST = HostInfo(id=7, name="mirror.alpha.example", country="DE", bandwidth=1000, asn=64500)
EVENTS = [
    HostAdded(site=SITE, host=HOST, agent="ralph"),
    HostUpdated(site=SITE, host=HostInfo(id=7, name="mirror.alpha.example", country="DE"),
                agent="admin"),
    HostDeleted(site=SITE, host=HOST, agent="kevin"),
    SiteDeleted(site=SiteInfo(id=3, name="Alpha"), agent="admin"),
    HostDisabled(host_id=7, host_name="mirror.alpha.example", reason="4 crawl failures",
                 site=SITE, host=HOST, crawled_at=1_714_000_000.0),
    HostCrawled(host_id=7, host_name="mirror.alpha.example", status="ok"),  # no message
]
TOPICS = [
    "mirrormanager.host.added", "mirrormanager.host.added.v2",
    "mirrormanager.host.updated", "mirrormanager.host.updated.v2",
    "mirrormanager.host.deleted", "mirrormanager.host.deleted.v2",
    "mirrormanager.site.deleted", "mirrormanager.site.deleted.v2",
    "mirrormanager.crawler.host.disabled.v1",
]


@pytest.fixture
def broker() -> str:
    parameters = pika.URLParameters(AMQP_URL)
    parameters.socket_timeout = 3
    parameters.connection_attempts = 1
    try:
        pika.BlockingConnection(parameters).close()
    except Exception as exc:
        message = f"RabbitMQ at {AMQP_URL} is not usable: {exc!r} (bash scripts/rabbitmq-ensure)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return AMQP_URL


class Consumer:
    """An exclusive queue bound to ``<prefix>.#`` on amq.topic."""

    def __init__(self, url: str, prefix: str) -> None:
        self.connection = pika.BlockingConnection(pika.URLParameters(url))
        self.channel = self.connection.channel()
        self.queue = self.channel.queue_declare("", exclusive=True).method.queue
        self.channel.queue_bind(self.queue, "amq.topic", routing_key=f"{prefix}.#")

    def take(self, count: int, timeout: float = 15.0) -> list[tuple[str, object, bytes]]:
        received: list[tuple[str, object, bytes]] = []
        deadline = time.monotonic() + timeout
        while len(received) < count and time.monotonic() < deadline:
            method, properties, body = self.channel.basic_get(self.queue, auto_ack=True)
            if method is None:
                self.connection.sleep(0.05)
                continue
            received.append((method.routing_key, properties, body))
        return received

    def close(self) -> None:
        self.connection.close()


@pytest.fixture(autouse=True)
def close_publishers() -> Iterator[None]:
    """The process's publishers are flushed and stopped after each test (not at exit, when
    pytest has closed the streams their log lines would go to)."""
    yield
    publisher_module.close_all()


@pytest.fixture
def prefix() -> str:
    return f"mmtest{secrets.token_hex(4)}"


@pytest.fixture
def consumer(broker: str, prefix: str) -> Iterator[Consumer]:
    consumer = Consumer(broker, prefix)
    yield consumer
    consumer.close()


def runtime(config: AmqpConfig) -> Runtime:
    return Runtime(Config(sections={"amqp": config}), get_plugin_manager())


def test_events_arrive_as_fedora_messages(broker: str, prefix: str, consumer: Consumer) -> None:
    config = AmqpConfig(url=broker, topic_prefix=prefix,
                        logs_url="https://mm.example/crawler/{host_id}.log",
                        host_url="https://mm.example/host/{host_id}")
    rt = runtime(config)
    for event in EVENTS:
        rt.announce(event)
    assert publisher_for(config).flush(15)
    received = consumer.take(len(TOPICS))
    assert [key for key, _, _ in received] == [f"{prefix}.{topic}" for topic in TOPICS]
    fm_message.load_message_classes()
    for key, properties, body in received:
        # what a fedora-messaging consumer does with it: pick the class by the schema header,
        # build the message, validate headers and body against the package's schemas
        msg = fm_message.get_message(key, properties, body)
        assert type(msg).__module__.startswith("mirrormanager_messages")
        msg.validate()
        jsonschema.validate(msg.body, type(msg).body_schema)
        assert properties.content_type == "application/json"
        assert properties.delivery_mode == 2
    disabled = fm_message.get_message(*received[-1])
    assert disabled.body["logs_url"] == "https://mm.example/crawler/7.log"
    assert disabled.body["crawled_at"] == "2024-04-24T23:06:40+00:00"
    assert disabled.body["host"]["url"] == "https://mm.example/host/7"
    assert disabled.usernames == ["kevin", "ralph"]
    added = fm_message.get_message(*received[1])
    assert added.agent_name == "ralph" and added.summary.startswith("Host mirror.alpha.example")


def test_no_url_publishes_nothing(broker: str) -> None:
    rt = runtime(AmqpConfig())
    rt.announce(EVENTS[0])
    assert AmqpConfig() not in publisher_module._publishers


def test_publishing_never_blocks_and_counts_drops(caplog: pytest.LogCaptureFixture) -> None:
    # nothing listens on this port: the messages wait, then the queue is full
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = AmqpConfig(url=f"amqp://guest:guest@127.0.0.1:{port}/%2F", queue_size=3,
                        max_backoff=0.2, flush_timeout=0.2, timeout=1.0)
    publisher = Publisher(config)
    messages = messages_for(EVENTS[0], config) * 5  # 10 messages
    caplog.set_level(logging.WARNING, logger="mirrormanager_amqp")
    started = time.monotonic()
    for message in messages:
        publisher.publish(message)
    assert time.monotonic() - started < 0.5
    assert publisher.dropped >= 7
    publisher.close()
    assert publisher.dropped == 10 and publisher.published == 0
    lines = [r.getMessage() for r in caplog.records if "amqp_messages_dropped" in r.getMessage()]
    assert lines and "dropped=10" in lines[-1] and "reason=not_sent_at_exit" in lines[-1]
    assert any("amqp_connect_failed" in r.getMessage() for r in caplog.records)


class CuttableProxy:
    """A TCP proxy to the broker whose connections the test can cut."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target, timeout=5)
            with self.lock:
                self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for s in (source, sink):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self) -> None:
        with self.lock:
            for s in self.sockets:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()
            self.sockets.clear()

    def close(self) -> None:
        self.cut()
        self.listener.close()


def test_reconnects_after_the_connection_breaks(broker: str, prefix: str,
                                                consumer: Consumer) -> None:
    parameters = pika.URLParameters(broker)
    proxy = CuttableProxy((parameters.host, parameters.port))
    try:
        config = AmqpConfig(url=f"amqp://guest:guest@127.0.0.1:{proxy.port}/%2F",
                            topic_prefix=prefix, publish_v1=False, max_backoff=0.5,
                            timeout=3.0)
        publisher = Publisher(config)
        first = messages_for(EVENTS[0], config)[0]
        publisher.publish(first)
        assert publisher.flush(10)
        proxy.cut()
        for event in EVENTS[1:4]:
            for message in messages_for(event, config):
                publisher.publish(message)
        assert publisher.flush(20)
        publisher.close()
        received = consumer.take(4)
        assert [key.split(".", 1)[1] for key, _, _ in received] == [
            "mirrormanager.host.added.v2", "mirrormanager.host.updated.v2",
            "mirrormanager.host.deleted.v2", "mirrormanager.site.deleted.v2",
        ]
        assert publisher.reconnects >= 1 and publisher.dropped == 0
    finally:
        proxy.close()
