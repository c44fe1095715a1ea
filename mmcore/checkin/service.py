"""One report_mirror check-in, from the XML-RPC argument to MirrorManager2's return string.

Order of work, cheapest refusal first:

1. decode the argument (:mod:`mmcore.checkin.payload`, in a worker thread, at most
   ``concurrent_decodes`` at once) and validate it (:mod:`mmcore.checkin.report`);
2. find the site: an unknown site costs the same password hashing as a known one, so the
   answer's timing does not tell which site names exist;
3. refuse a site with ``max_failures`` failed check-ins in the last ``failure_window``
   seconds (without looking at the password), else check the password in constant time
   against the stored hash; a wrong one is counted (in the web UI's log-in throttle, under the
   key ``site:<id>``, so every server process sees the same count), a right one clears the
   count;
4. MirrorManager2's host rules: the site's host by name, private hosts only;
5. read the host's categories the report covers, compute the change
   (:mod:`mmcore.checkin.plan`), write it in one transaction, announce
   :class:`mmcore.events.HostCheckedIn`.

Refusals that MirrorManager2 answered with a string keep its string (report_mirror prints it);
a payload that cannot be decoded raises :class:`mmcore.checkin.payload.PayloadError`, which the
endpoint turns into an XML-RPC fault.
"""

from __future__ import annotations

import datetime
import functools
import hmac
import logging
import math
import secrets
import time
from collections.abc import Callable

import attrs
import trio

from mmcore.checkin.config import CheckinConfig
from mmcore.checkin.payload import decode_payload
from mmcore.checkin.plan import category_message, plan_category
from mmcore.checkin.report import INVALID_SUFFIX, CheckinReport, InvalidReport, read_report
from mmcore.checkin.store import HostCheckinUpdate
from mmcore.db import run_db
from mmcore.events import HostCheckedIn, HostInfo, SiteInfo
from mmcore.logs import kv
from mmcore.passwords import hash_password, is_password_hash, verify_password
from mmcore.store import Store

log = logging.getLogger(__name__)

SUCCESS_SUFFIX = "checked in successful"
ERROR_SUFFIX = "error checking in"
SITE_INCORRECT = "Config file site name or password incorrect.\n"
HOST_NOT_FOUND = "Config file host name for site not found.\n"
PRIVATE_ONLY = "Only private mirrors are allowed to use report_mirror.\n"
#: JSON objects and arrays a report holds besides one per directory (sections, list values)
CONTAINER_ALLOWANCE = 1024


@attrs.frozen
class CheckinOutcome:
    """How one check-in ended."""

    #: MirrorManager2's return string, for the client
    message: str
    #: ``ok``, ``invalid``, ``unknown-site``, ``wrong-password``, ``locked``, ``unknown-host``,
    #: ``public-host``
    result: str
    site_name: str = ""
    host_name: str = ""
    #: announced when the check-in was recorded
    event: HostCheckedIn | None = None

    @property
    def ok(self) -> bool:
        return self.result == "ok"


def utcnow() -> datetime.datetime:
    """Naive UTC, as MirrorManager2 stores times."""
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


@functools.cache
def _decoy_hash() -> str:
    return hash_password(secrets.token_hex(16))


def check_password(password: str, stored: str | None) -> tuple[bool, str | None]:
    """``(matches, new stored value)``: constant-time against a hash; a password stored in
    clear (a MirrorManager2 database adopted in place) is compared in constant time too and,
    when it matches, a hash is returned to replace it."""
    if stored is None:
        verify_password(password, _decoy_hash())
        return False, None
    if is_password_hash(stored):
        return verify_password(password, stored), None
    matches = hmac.compare_digest(password.encode("utf-8"), stored.encode("utf-8"))
    return matches, (hash_password(password) if matches else None)


async def check_in(
    store: Store,
    data: object,
    config: CheckinConfig,
    *,
    decode_limiter: trio.CapacityLimiter | None = None,
    announce: Callable[[HostCheckedIn], None] | None = None,
    clock: Callable[[], datetime.datetime] = utcnow,
) -> CheckinOutcome:
    """Run one check-in (see the module documentation).

    :param data: the argument of the XML-RPC call.
    :param decode_limiter: bounds concurrent decodes (memory); share one per server.
    :param announce: called with the event once the check-in is recorded
        (:meth:`mmcore.runtime.Runtime.announce`; a handler that raises is logged, never breaks
        the check-in).
    :raises mmcore.checkin.payload.PayloadError: the argument cannot be decoded.
    :raises mmcore.store.StoreError: the database failed (nothing was written).
    """
    started = time.monotonic()
    decode = functools.partial(
        decode_payload,
        data,
        max_payload_bytes=config.max_payload_bytes,
        max_containers=config.max_directories + CONTAINER_ALLOWANCE,
    )
    decoded = await trio.to_thread.run_sync(decode, limiter=decode_limiter)
    try:
        report = read_report(decoded, max_directories=config.max_directories)
    except InvalidReport as exc:
        return _finish(CheckinOutcome(exc.message + INVALID_SUFFIX + ERROR_SUFFIX, "invalid"),
                       started)
    outcome = await _authorised_check_in(store, report, config, announce, clock)
    return _finish(outcome, started)


async def _authorised_check_in(
    store: Store,
    report: CheckinReport,
    config: CheckinConfig,
    announce: Callable[[HostCheckedIn], None] | None,
    clock: Callable[[], datetime.datetime],
) -> CheckinOutcome:
    def refused(message: str, result: str) -> CheckinOutcome:
        return CheckinOutcome(message + ERROR_SUFFIX, result, report.site_name, report.host_name)

    now = clock()
    site = await run_db(store, store.find_checkin_site, report.site_name, report.host_name)
    if site is None:
        await trio.to_thread.run_sync(check_password, report.password, None)
        return refused(SITE_INCORRECT, "unknown-site")
    throttle = [f"site:{site.id}"]
    window = datetime.timedelta(seconds=config.failure_window)
    failures = await run_db(store, store.login_failures, throttle, now - window)
    locked_for = _locked_for(failures.get(throttle[0]), now, config)
    if locked_for:
        minutes = math.ceil(locked_for / 60)
        return refused(
            f"Too many failed check-ins for this site: check-ins are refused for {minutes} "
            f"more minute{'s' if minutes != 1 else ''}.\n",
            "locked",
        )
    matches, new_password = await trio.to_thread.run_sync(
        check_password, report.password, site.password
    )
    if not matches:
        await run_db(store, store.record_login_failure, throttle, now)
        return refused(SITE_INCORRECT, "wrong-password")
    if failures:
        await run_db(store, store.clear_login_failures, throttle)
    host = site.host
    if host is None:
        return refused(HOST_NOT_FOUND, "unknown-host")
    if not host.private:
        return refused(PRIVATE_ONLY, "public-host")

    reported = {category.key: category.paths for category in report.categories}
    states = await run_db(store, store.checkin_categories, host.id, reported)
    changes = tuple(plan_category(state, reported[state.key]) for state in states)
    await run_db(store, store.apply_checkin, HostCheckinUpdate(
        site_id=site.id,
        host_id=host.id,
        checked_in_at=now,
        user_active=report.user_active,
        categories=changes,
        site_password=new_password,
    ))
    event = HostCheckedIn(
        site=SiteInfo(id=site.id, name=site.name, org_url=site.org_url),
        host=HostInfo(id=host.id, name=host.name, country=host.country,
                      bandwidth=host.bandwidth_int, asn=host.asn),
        categories=tuple(change.category_name for change in changes),
        directories_updated=sum(change.updated for change in changes),
        directories_added=sum(change.added for change in changes),
        directories_deleted=sum(change.deleted for change in changes),
        user_active=report.user_active,
    )
    if announce is not None:
        try:
            announce(event)
        except Exception:  # a broken notifier must not fail a recorded check-in
            log.exception(kv(event="checkin_announce_failed", host=host.name))
    message = "".join(category_message(change) for change in changes)
    return CheckinOutcome(message + SUCCESS_SUFFIX, "ok", site.name, host.name, event)


def _locked_for(
    failures: tuple[int, datetime.datetime] | None, now: datetime.datetime, config: CheckinConfig
) -> float:
    """Seconds the site's check-ins stay refused (0: not refused), from its failures in the
    window: ``(count, newest)``."""
    if failures is None or failures[0] < config.max_failures:
        return 0.0
    ends = failures[1] + datetime.timedelta(seconds=config.failure_window)
    return max(0.0, (ends - now).total_seconds())


def _finish(outcome: CheckinOutcome, started: float) -> CheckinOutcome:
    fields = {"event": "checkin", "result": outcome.result, "site": outcome.site_name,
              "host": outcome.host_name}
    if outcome.event is not None:
        fields.update(updated=outcome.event.directories_updated,
                      added=outcome.event.directories_added,
                      deleted=outcome.event.directories_deleted)
    fields["seconds"] = f"{time.monotonic() - started:.3f}"
    (log.info if outcome.ok or outcome.result == "invalid" else log.warning)(kv(**fields))
    return outcome
