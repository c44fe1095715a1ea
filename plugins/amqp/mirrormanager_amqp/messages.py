"""The runtime's events as Fedora's mirrormanager messages (the ``mirrormanager-messages``
schemas, as fedora-messaging puts them on the wire), so Fedora's consumers keep working.

=====================  ==========================================  ===========================
event                  topic (+ ``.v2``; V1 only with publish_v1)  schema (fedora-messaging name)
=====================  ==========================================  ===========================
HostAdded              ``mirrormanager.host.added``                ``mirrormanager.host.added.v1``/``.v2``
HostUpdated            ``mirrormanager.host.updated``              ``mirrormanager.host.updated.v1``/``.v2``
HostDeleted            ``mirrormanager.host.deleted``              ``mirrormanager.host.deleted.v1``/``.v2``
SiteDeleted            ``mirrormanager.site.deleted``              ``mirrormanager.site.deleted.v1``/``.v2``
HostDisabled           ``mirrormanager.crawler.host.disabled.v1``  same
=====================  ==========================================  ===========================

Pure functions: :func:`messages_for` returns what to publish, the publisher sends it.
"""

from __future__ import annotations

import datetime
import json
import uuid
from typing import Any

import attrs

from mmcore.events import (
    Event,
    HostAdded,
    HostDeleted,
    HostDisabled,
    HostInfo,
    HostUpdated,
    SiteDeleted,
    SiteInfo,
)

from .config import AmqpConfig

#: fedora-messaging's INFO severity
SEVERITY_INFO = 20
SCHEMA_PACKAGE = "mirrormanager_messages"


@attrs.frozen
class Message:
    """One AMQP message: routing key, JSON body and fedora-messaging's properties."""

    topic: str
    body: bytes
    headers: dict[str, Any]
    message_id: str


def _site(site: SiteInfo) -> dict[str, Any]:
    return {"id": site.id, "name": site.name, "org_url": site.org_url,
            "admins": list(site.admins)}


def _host(host: HostInfo, config: AmqpConfig) -> dict[str, Any]:
    body: dict[str, Any] = {"id": host.id, "name": host.name, "country": host.country or "",
                            "bandwidth": host.bandwidth, "asn": host.asn}
    url = host.url or (config.host_url.format(host_id=host.id) if config.host_url else "")
    if url:
        body["url"] = url
    return body


def _message(config: AmqpConfig, topic: str, schema: str, body: dict[str, Any],
             usernames: list[str]) -> Message:
    headers: dict[str, Any] = {
        "fedora_messaging_schema": schema,
        "fedora_messaging_schema_package": SCHEMA_PACKAGE,
        "sent-at": datetime.datetime.now(datetime.UTC).replace(microsecond=0).isoformat(),
        "fedora_messaging_severity": SEVERITY_INFO,
        "priority": 0,
    }
    for name in sorted(set(usernames)):
        if name:
            headers[f"fedora_messaging_user_{name}"] = True
    routing = f"{config.topic_prefix.rstrip('.')}.{topic}" if config.topic_prefix else topic
    return Message(topic=routing, body=json.dumps(body).encode("utf-8"), headers=headers,
                   message_id=str(uuid.uuid4()))


def _host_messages(kind: str, event: HostAdded | HostUpdated | HostDeleted,
                   config: AmqpConfig) -> list[Message]:
    topic = f"mirrormanager.host.{kind}"
    site, host = event.site, event.host
    users = [*site.admins, event.agent]
    messages = []
    if config.publish_v1:
        messages.append(_message(config, topic, f"{topic}.v1", {
            "site_id": site.id, "host_id": host.id, "bandwidth": host.bandwidth, "asn": host.asn,
        }, []))
    messages.append(_message(config, f"{topic}.v2", f"{topic}.v2", {
        "site": _site(site), "host": _host(host, config), "agent": event.agent,
    }, users))
    return messages


def messages_for(event: Event, config: AmqpConfig) -> list[Message]:
    """What to publish for ``event`` (nothing for events Fedora has no message for, and for a
    disabled host whose site the announcer did not know)."""
    if isinstance(event, HostAdded):
        return _host_messages("added", event, config)
    if isinstance(event, HostUpdated):
        return _host_messages("updated", event, config)
    if isinstance(event, HostDeleted):
        return _host_messages("deleted", event, config)
    if isinstance(event, SiteDeleted):
        topic = "mirrormanager.site.deleted"
        site = event.site
        messages = []
        if config.publish_v1:
            messages.append(_message(config, topic, f"{topic}.v1", {
                "site_id": site.id, "site_name": site.name, "org_url": site.org_url,
            }, []))
        messages.append(_message(config, f"{topic}.v2", f"{topic}.v2",
                                 {"site": _site(site), "agent": event.agent},
                                 [event.agent]))
        return messages
    if isinstance(event, HostDisabled):
        if event.site is None:
            return []
        host = event.host or HostInfo(id=event.host_id, name=event.host_name)
        crawled = datetime.datetime.fromtimestamp(
            event.crawled_at if event.crawled_at is not None else 0, datetime.UTC)
        topic = "mirrormanager.crawler.host.disabled.v1"
        return [_message(config, topic, topic, {
            "host": _host(host, config),
            "site": _site(event.site),
            "crawled_at": crawled.isoformat(),
            "logs_url": config.logs_url.format(host_id=event.host_id),
            "reason": event.reason,
        }, list(event.site.admins))]
    return []
