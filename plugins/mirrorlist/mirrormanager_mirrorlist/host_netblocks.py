"""Host netblocks as the list server wants them: CIDR text, DNS names resolved with a deadline.

A ``host_netblock.netblock`` is free text.  After trimming it is read as, in order:

* ``address/prefixlen`` or ``address/netmask`` -> that network, the address kept as given
  (``10.1.2.3/8`` stays ``10.1.2.3/8``, ``192.0.2.0/255.255.255.0`` becomes ``192.0.2.0/24``);
* a bare address -> ``/32`` or ``/128``;
* anything else -> a DNS name; each A/AAAA address becomes a ``/32`` or ``/128`` entry.

Text with a ``/`` that is not a valid network is skipped (never looked up in DNS).  Names are
resolved in parallel daemon threads under one overall deadline; a name that fails or is not
answered in time contributes nothing.
"""

from __future__ import annotations

import ipaddress
import logging
import queue
import socket
import threading
import time
from collections.abc import Callable, Iterable

import attrs

log = logging.getLogger(__name__)

Resolver = Callable[[str], list[str]]


@attrs.frozen
class ParsedNetblock:
    """``networks`` when the text was an address or network, ``dns_name`` when it needs DNS."""

    networks: tuple[str, ...] = ()
    dns_name: str | None = None


def address_network(address: str) -> str:
    """``a.b.c.d/32`` or ``x::y/128`` for a single address."""
    ip = ipaddress.ip_address(address)
    return f"{ip}/{ip.max_prefixlen}"


def parse_netblock(text: str) -> ParsedNetblock:
    """Classify one netblock text (see the module docstring)."""
    text = text.strip()
    if not text:
        return ParsedNetblock()
    try:
        return ParsedNetblock(networks=(str(ipaddress.ip_interface(text)),))
    except ValueError:
        pass
    if "/" in text or ":" in text:
        return ParsedNetblock()
    return ParsedNetblock(dns_name=text)


def system_resolver(name: str) -> list[str]:
    """Every A and AAAA address of ``name`` (``socket.getaddrinfo``)."""
    infos = socket.getaddrinfo(name, None, type=socket.SOCK_STREAM)
    return [info[4][0] for info in infos if info[0] in (socket.AF_INET, socket.AF_INET6)]


def resolve_names(
    names: Iterable[str],
    timeout: float,
    workers: int = 16,
    resolver: Resolver = system_resolver,
) -> dict[str, tuple[str, ...]]:
    """Resolve ``names`` in parallel; return name -> sorted unique networks (``/32``/``/128``).

    Names that fail, or are not answered within ``timeout`` seconds in total, are absent from
    the result.  The worker threads are daemons: a resolver stuck past the deadline is
    abandoned and cannot keep the process alive.
    """
    pending = sorted(set(names))
    if not pending:
        return {}
    todo: queue.SimpleQueue[str] = queue.SimpleQueue()
    for name in pending:
        todo.put(name)
    results: dict[str, tuple[str, ...]] = {}
    lock = threading.Lock()
    done = threading.Semaphore(0)

    def work() -> None:
        while True:
            try:
                name = todo.get_nowait()
            except queue.Empty:
                return
            try:
                networks = tuple(sorted({address_network(a.split("%")[0]) for a in resolver(name)}))
            except (OSError, UnicodeError, ValueError) as exc:
                log.warning("netblock_resolve_failed name=%s error=%r", name, str(exc))
                networks = ()
            with lock:
                results[name] = networks
            done.release()

    for index in range(max(1, min(workers, len(pending)))):
        threading.Thread(target=work, name=f"netblock-dns-{index}", daemon=True).start()
    deadline = time.monotonic() + timeout
    for _ in pending:
        if not done.acquire(timeout=max(0.0, deadline - time.monotonic())):
            break
    with lock:
        answered = dict(results)
    for name in pending:
        if name not in answered:
            log.warning("netblock_resolve_timeout name=%s timeout=%s", name, timeout)
    return {name: nets for name, nets in answered.items() if nets}
