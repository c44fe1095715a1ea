"""The rows of the tables about sites and hosts: sites and their admins, hosts, their URLs, the
host category directories (the big table), netblocks, peer ASNs, countries and locations."""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Iterable, Iterator

from mirrormanager_devtools.dataset.plans import HostCategoryPlan, Plan, Row, weighted_countries
from mirrormanager_devtools.dataset.reference import CATEGORIES, COUNTRIES, EPOCH_DT, LOCATIONS
from mirrormanager_devtools.dataset.tree import F_VOLATILE
from mirrormanager_devtools.dataset.values import hex_digits, random_netblock, username


# -- sites ------------------------------------------------------------------------------

def site_rows(plan: Plan) -> Iterator[Row]:
    rng = plan.rng("site_rows")
    private_sites = {h.site_id for h in plan.hosts if h.private} - {
        h.site_id for h in plan.hosts if not h.private}
    for s in plan.sites:
        created = EPOCH_DT - datetime.timedelta(days=rng.randint(30, 6000),
                                                seconds=rng.randint(0, 86_399))
        yield (s.id, s.name, hex_digits(rng, 128), f"https://www.{s.slug}.{s.tld}/",
               s.id in private_sites and rng.random() < 0.5, rng.random() > 0.01,
               rng.random() > 0.01, created, username(rng), False, None,
               rng.random() < 0.3, rng.random() < 0.2)


def site_admin_counts(plan: Plan) -> list[int]:
    rng = plan.rng("site_admin_counts")
    return [rng.choice((1, 1, 1, 2, 2, 3)) for _ in plan.sites]


def site_admin_count(plan: Plan) -> int:
    return sum(site_admin_counts(plan))


def site_admin_rows(plan: Plan) -> Iterator[Row]:
    rng = plan.rng("site_admin")
    next_id = 1
    for site, count in zip(plan.sites, site_admin_counts(plan), strict=True):
        for _ in range(count):
            yield (next_id, username(rng), site.id)
            next_id += 1


# -- hosts ------------------------------------------------------------------------------

def host_rows(plan: Plan) -> Iterator[Row]:
    rng = plan.rng("host_rows")
    for h in plan.hosts:
        site = plan.sites[h.site_id - 1]
        admin_active = rng.random() > 0.02
        user_active = rng.random() > 0.03
        failures = 0 if rng.random() < 0.9 else rng.randint(1, 10)
        disable_reason = None
        if not admin_active:
            disable_reason = rng.choice(("crawl failures", "disabled on request",
                                         "stale for months"))
        bandwidth = rng.choices((10, 100, 1000, 2000, 10000, 40000, 100000),
                                weights=(3, 15, 35, 10, 27, 5, 5))[0]
        crawled = None if h.private else EPOCH_DT - datetime.timedelta(
            minutes=rng.randint(5, 60 * 24))
        checked_in = EPOCH_DT - datetime.timedelta(hours=rng.randint(1, 240)) \
            if h.private else None
        internet2 = h.country.code == "US" and rng.random() < 0.25
        yield (
            h.id, h.name, h.site_id,
            f"mirror-admin@{site.slug}.{site.tld}" if rng.random() < 0.6 else None,
            admin_active, user_active, h.country.code, bandwidth,
            rng.choice((None, None, None, "10 Gbit uplink", "university network",
                        "rsync every 4 hours")),
            checked_in, crawled, h.private, internet2, internet2 and rng.random() < 0.7,
            h.asn, rng.random() < 0.7,
            rng.choices((1, 2, 3, 4, 6, 10), weights=(55, 15, 10, 10, 5, 5))[0],
            None if h.private else rng.randint(20, 3_600), failures, disable_reason,
            round(h.country.latitude + rng.uniform(-3, 3), 4),
            round(h.country.longitude + rng.uniform(-3, 3), 4),
        )


def url_plan(plan: Plan) -> Iterator[tuple[HostCategoryPlan, str, bool]]:
    for hc in plan.host_categories:
        h = hc.host
        path = CATEGORIES[hc.category].url_path
        for scheme in h.schemes:
            if scheme == "rsync":
                url = f"rsync://{h.name}/{h.url_base or 'fedora/'}{path}"
                private = h.private or hc.id % 20 == 0
            else:
                url = f"{scheme}://{h.name}/{h.url_base}{path}"
                private = False
            yield hc, url, private


def url_count(plan: Plan) -> int:
    return sum(1 for _ in url_plan(plan))


#: what a crawl found per host (``host.id % 20``): 12 in 20 answer over both families, 7 over
#: IPv4 only (no AAAA record), 1 over IPv6 only (no A record)
def address_families(host_id: int) -> tuple[bool | None, bool | None]:
    slot = host_id % 20
    if slot < 12:
        return True, True
    if slot < 19:
        return True, None
    return None, True


def url_rows(plan: Plan) -> Iterator[Row]:
    for i, (hc, url, private) in enumerate(url_plan(plan), start=1):
        yield (i, hc.id, url, private, *address_families(hc.host.id))


def hcd_rows(plan: Plan) -> Iterator[Row]:
    """The big one: every directory a host category carries, ~95% up to date.  Rows come
    in (host category, path) order -- the order of the unique index -- and are assembled by
    ``zip`` over cached per-(category, exclusions) columns so the per-row work stays in C."""
    return itertools.chain.from_iterable(hcd_chunks(plan))


def hcd_chunks(plan: Plan) -> Iterator[Iterator[Row]]:
    rng = plan.rng("host_category_dir")
    random_ = rng.random
    # per category, column lists in path order: paths, directory ids, feature bits
    columns = [([d[1] for d in dirs], [d[0] for d in dirs], [d[2] for d in dirs])
               for dirs in plan.category_dirs]
    next_id = 1
    for hc in plan.host_categories:
        rels, dir_ids, masks = columns[hc.category]
        keep = {m: not m & hc.excluded for m in plan.mask_counts[hc.category]}
        selected = list(map(keep.__getitem__, masks))
        count = plan.hcd_count_for(hc.category, hc.excluded)
        if hc.state == "fresh":
            up2date: Iterable[bool] = itertools.repeat(True, count)
        else:
            # lagging: recently changed trees partly stale; stale: most of everything
            p_volatile, p_other = (0.5, 0.02) if hc.state == "lagging" else (0.8, 0.6)
            up2date = [random_() >= (p_volatile if m & F_VOLATILE else p_other)
                       for m in itertools.compress(masks, selected)]
        yield zip(itertools.count(next_id), itertools.repeat(hc.id, count),
                  itertools.compress(rels, selected), up2date,
                  itertools.compress(dir_ids, selected))
        next_id += count


def netblock_counts(plan: Plan) -> list[int]:
    """Netblocks per host: heavy-tailed (a few ISPs list hundreds), summing to the scale's."""
    rng = plan.rng("netblock_counts")
    weights = [rng.paretovariate(1.1) if rng.random() < (0.7 if h.private else 0.45) else 0.0
               for h in plan.hosts]
    if not any(weights):
        weights[0] = 1.0
    total = sum(weights)
    counts = [int(plan.scale.netblocks * w / total) for w in weights]
    counts = [min(c, 2_000) for c in counts]
    shortfall = plan.scale.netblocks - sum(counts)
    order = sorted(range(len(weights)), key=lambda i: -weights[i])
    for i in range(shortfall):
        counts[order[i % max(1, sum(1 for w in weights if w))]] += 1
    return counts


def netblock_rows(plan: Plan) -> Iterator[Row]:
    rng = plan.rng("host_netblock")
    next_id = 1
    for h, count in zip(plan.hosts, netblock_counts(plan), strict=True):
        for n in range(count):
            yield (next_id, random_netblock(rng), f"{h.name.split('.', 1)[1]} block {n + 1}",
                   h.id)
            next_id += 1


def peer_asn_plan(plan: Plan) -> list[Row]:
    rng = plan.rng("host_peer_asn")
    rows: list[Row] = []
    picked = rng.sample(plan.hosts, max(1, round(len(plan.hosts) * 0.03)))
    for h in sorted(picked, key=lambda h: h.id):
        asns = rng.sample(range(1_000, 64_000), rng.randint(1, 6))
        for asn in sorted(asns):
            rows.append((len(rows) + 1, asn, f"AS{asn} peer", h.id))
    return rows


def allowed_plan(plan: Plan) -> list[Row]:
    """A few hosts serving only some countries; a country at most once (upstream's unique)."""
    rng = plan.rng("host_country_allowed")
    rows: list[Row] = []
    used: set[str] = set()
    count = max(1, round(len(plan.hosts) * 0.01))
    for h in sorted(rng.sample(plan.hosts, count), key=lambda h: h.id):
        for code in [h.country.code] + [c.code for c in weighted_countries(rng, 2)]:
            if code not in used:
                used.add(code)
                rows.append((len(rows) + 1, code, h.id))
    return rows


def host_country_plan(plan: Plan) -> list[Row]:
    rng = plan.rng("host_country")
    rows: list[Row] = []
    count = max(1, round(len(plan.hosts) * 0.05))
    for h in sorted(rng.sample(plan.hosts, count), key=lambda h: h.id):
        near = [c for c in COUNTRIES
                if c.continent == h.country.continent and c.code != h.country.code]
        for c in sorted(rng.sample(near, min(len(near), rng.randint(1, 3))),
                        key=lambda c: c.code):
            rows.append((len(rows) + 1, plan.country_ids[c.code], h.id))
    return rows


def host_location_plan(plan: Plan) -> list[Row]:
    rng = plan.rng("host_location")
    rows: list[Row] = []
    for loc_id in range(1, len(LOCATIONS) + 1):
        k = min(len(plan.hosts), rng.randint(1, 4))
        for h in sorted(rng.sample(plan.hosts, k), key=lambda h: h.id):
            rows.append((len(rows) + 1, loc_id, h.id))
    return rows
