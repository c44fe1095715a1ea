"""Publishing without ever blocking or breaking the work.

:meth:`Publisher.publish` only puts the message on a bounded queue (``put_nowait``); a full
queue drops the message, counts it and says so in a structured log line (at most every
``DROP_LOG_INTERVAL`` seconds, with the running total).  One thread per process owns the
connection (pika's ``BlockingConnection``, which needs no event loop, so it runs beside trio),
publishes with publisher confirms, and on any connection or channel error reconnects with
exponential back-off up to ``max_backoff``, keeping the message it was sending.  At exit the
queue is given ``flush_timeout`` seconds to drain; what is left is counted as dropped.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Any

import pika
import pika.exceptions

from mmcore.logs import kv

from .config import AmqpConfig
from .messages import Message

log = logging.getLogger("mirrormanager_amqp")
# pika logs every connection step at INFO; our own lines say what matters
logging.getLogger("pika").setLevel(logging.WARNING)

DROP_LOG_INTERVAL = 10.0
#: how often the thread wakes to serve heartbeats and notice a stop
POLL = 0.2


class Publisher:
    def __init__(self, config: AmqpConfig) -> None:
        self.config = config
        self.queue: queue.Queue[Message] = queue.Queue(maxsize=config.queue_size)
        self.published = 0
        self.dropped = 0
        self.reconnects = 0
        self._dropped_logged_at = 0.0
        self._stop = threading.Event()
        self._idle = threading.Condition()
        self._sending: Message | None = None
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="amqp-publisher", daemon=True)
        self._thread.start()

    # -- the producer side (any thread, never blocks) ---------------------------------------------

    def publish(self, message: Message) -> None:
        try:
            self.queue.put_nowait(message)
        except queue.Full:
            self._count_dropped(1, "queue_full")

    def _count_dropped(self, count: int, reason: str, force: bool = False) -> None:
        with self._lock:
            self.dropped += count
            now = time.monotonic()
            if force or now - self._dropped_logged_at >= DROP_LOG_INTERVAL:
                self._dropped_logged_at = now
                log.warning(kv(event="amqp_messages_dropped", reason=reason,
                               dropped=self.dropped, queue_size=self.config.queue_size))

    def flush(self, timeout: float) -> bool:
        """Wait until every queued message is published; ``False`` when ``timeout`` passed."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self.queue.unfinished_tasks:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._idle.wait(min(remaining, POLL))
        return True

    def close(self, timeout: float | None = None) -> None:
        """Flush (up to ``timeout``, default ``flush_timeout``), stop the thread, and count
        what could not be sent as dropped."""
        self.flush(self.config.flush_timeout if timeout is None else timeout)
        self._stop.set()
        self._thread.join(timeout=self.config.timeout + 1)
        left = self.queue.qsize() + (1 if self._sending is not None else 0)
        if left:
            self._count_dropped(left, "not_sent_at_exit", force=True)

    # -- the publishing thread ------------------------------------------------------------------

    def _connect(self) -> tuple[Any, Any]:
        parameters = pika.URLParameters(self.config.url)
        parameters.socket_timeout = self.config.timeout
        parameters.blocked_connection_timeout = self.config.timeout
        parameters.connection_attempts = 1
        connection = pika.BlockingConnection(parameters)
        channel = connection.channel()
        channel.confirm_delivery()
        return connection, channel

    def _run(self) -> None:
        backoff = 0.5
        connection = channel = None
        while not self._stop.is_set():
            if connection is None:
                try:
                    connection, channel = self._connect()
                except Exception as exc:  # any failure to connect: wait and retry
                    log.warning(kv(event="amqp_connect_failed", error=repr(exc),
                                   retry_in=round(backoff, 1)))
                    self._stop.wait(backoff)
                    backoff = min(backoff * 2, self.config.max_backoff)
                    continue
                if self.reconnects or backoff > 0.5:
                    log.info(kv(event="amqp_connected", reconnects=self.reconnects))
                backoff = 0.5
            try:
                if self._sending is None:
                    try:
                        self._sending = self.queue.get(timeout=POLL)
                    except queue.Empty:
                        connection.process_data_events(0)  # heartbeats
                        continue
                self._send(channel, self._sending)
                self._sending = None
                self.published += 1
                self._task_done()
            except Exception as exc:  # the connection or channel broke: reconnect, resend
                log.warning(kv(event="amqp_publish_failed", error=repr(exc)))
                self.reconnects += 1
                _close_quietly(connection)
                connection = channel = None
        _close_quietly(connection)

    def _send(self, channel: Any, message: Message) -> None:
        properties = pika.BasicProperties(
            content_type="application/json", content_encoding="utf-8", delivery_mode=2,
            headers=message.headers, message_id=message.message_id, priority=0,
        )
        channel.basic_publish(self.config.exchange, message.topic, message.body, properties)

    def _task_done(self) -> None:
        with self._idle:
            self.queue.task_done()
            self._idle.notify_all()


def _close_quietly(connection: Any) -> None:
    if connection is None:
        return
    try:
        if connection.is_open:
            connection.close()
    except Exception:  # already broken
        pass


_publishers: dict[AmqpConfig, Publisher] = {}
_registry_lock = threading.Lock()


def publisher_for(config: AmqpConfig) -> Publisher:
    """The process's publisher for these settings (started on first use, flushed by
    :func:`close_all` when the runtime closes)."""
    with _registry_lock:
        publisher = _publishers.get(config)
        if publisher is None:
            publisher = _publishers[config] = Publisher(config)
        return publisher


def close_all() -> None:
    with _registry_lock:
        publishers = list(_publishers.values())
        _publishers.clear()
    for publisher in publishers:
        publisher.close()

