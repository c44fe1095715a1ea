"""Hook implementations: the ``[amqp]`` section and one handler per event Fedora has a message
for.  Light on purpose: pika is imported on the first event, when ``[amqp] url`` is set."""

from __future__ import annotations

from typing import Any

from mmcore import hookimpl


@hookimpl
def mm_config_sections() -> dict[str, type]:
    from .config import AmqpConfig

    return {"amqp": AmqpConfig}


def _forward(event: Any, runtime: Any) -> None:
    from .config import AmqpConfig

    config = runtime.section("amqp", AmqpConfig)
    if not config.url:
        return
    from .messages import messages_for
    from .publisher import publisher_for

    publisher = publisher_for(config)
    for message in messages_for(event, config):
        publisher.publish(message)


@hookimpl
def mm_event_host_added(event: Any, runtime: Any) -> None:
    _forward(event, runtime)


@hookimpl
def mm_event_host_updated(event: Any, runtime: Any) -> None:
    _forward(event, runtime)


@hookimpl
def mm_event_host_deleted(event: Any, runtime: Any) -> None:
    _forward(event, runtime)


@hookimpl
def mm_event_site_deleted(event: Any, runtime: Any) -> None:
    _forward(event, runtime)


@hookimpl
def mm_event_host_disabled(event: Any, runtime: Any) -> None:
    _forward(event, runtime)


@hookimpl
def mm_runtime_closing() -> None:
    """Flush what is queued (bounded by each publisher's close timeout) and stop the threads."""
    from .publisher import close_all

    close_all()
