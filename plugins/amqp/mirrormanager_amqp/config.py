"""The ``[amqp]`` configuration section.

.. code-block:: toml

    [amqp]
    url = "amqps://mirrormanager:secret@rabbitmq.example.org/%2Fpubsub"   # empty: off
    exchange = "amq.topic"
    topic_prefix = "org.fedoraproject.prod"
    logs_url = "https://mirrormanager.example.org/crawler/{host_id}.log"
"""

from __future__ import annotations

import attrs

from mmcore.validators import at_least, checked, positive


def _amqp_url(value: str) -> None:
    if value and not value.startswith(("amqp://", "amqps://")):
        raise ValueError(f"must be an amqp:// or amqps:// URL (or empty), got {value!r}")


@attrs.frozen
class AmqpConfig:
    """The ``[amqp]`` section; with no ``url`` nothing is published."""

    #: the broker, ``amqp[s]://user:password@host:port/vhost``; empty: publishing is off
    url: str = attrs.field(default="", validator=checked(_amqp_url))
    #: the topic exchange messages go to (fedora-messaging's default)
    exchange: str = "amq.topic"
    #: put before every topic with a dot (fedora-messaging's ``topic_prefix``)
    topic_prefix: str = ""
    #: also publish the deprecated V1 messages next to the V2 ones, as MirrorManager2 does
    publish_v1: bool = True
    #: messages waiting for the broker; more are dropped (and counted)
    queue_size: int = attrs.field(default=10_000, validator=at_least(1))
    #: seconds between reconnection attempts grow up to this
    max_backoff: float = attrs.field(default=30.0, validator=positive)
    #: seconds to wait for the broker when connecting or publishing
    timeout: float = attrs.field(default=10.0, validator=positive)
    #: seconds a finishing process waits for queued messages to go out
    flush_timeout: float = attrs.field(default=5.0, validator=at_least(0))
    #: ``HostCrawlerDisabledV1.logs_url``; ``{host_id}`` is replaced
    logs_url: str = ""
    #: the host's page (``host.url`` of the bodies); ``{host_id}`` is replaced; empty: left out
    host_url: str = ""
