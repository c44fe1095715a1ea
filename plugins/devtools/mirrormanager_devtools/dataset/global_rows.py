"""The rows of the tables no host owns: repository redirects, netblock countries, propagation
and access statistics."""

from __future__ import annotations

import datetime

from mirrormanager_devtools.dataset.plans import Plan, Row, weighted_countries
from mirrormanager_devtools.dataset.reference import CATEGORIES, COUNTRIES, EPOCH_DT
from mirrormanager_devtools.dataset.values import random_netblock


def redirect_plan(plan: Plan) -> list[Row]:
    pairs = [("fedora-rawhide", "rawhide"), ("fedora-debug-rawhide", "rawhide-debug"),
             ("fedora-source-rawhide", "rawhide-source"),
             ("updates-released-frawhide", "rawhide"),
             ("updates-released-debug-frawhide", "rawhide-debug"),
             ("updates-released-source-frawhide", "rawhide-source"),
             ("updates-testing-frawhide", "rawhide"),
             ("updates-testing-debug-frawhide", "rawhide-debug"),
             ("updates-testing-source-frawhide", "rawhide-source")]
    if plan.scale.fedora_branched is not None:
        b = plan.scale.fedora_branched
        pairs += [(f"updates-released-f{b}", f"fedora-{b}"),
                  (f"updates-released-debug-f{b}", f"fedora-debug-{b}"),
                  (f"updates-released-source-f{b}", f"fedora-source-{b}")]
    for v in plan.scale.epel_releases:
        pairs += [(f"epel-testing-{v}", f"testing-epel{v}"),
                  (f"epel-testing-debug-{v}", f"testing-debug-epel{v}"),
                  (f"epel-testing-source-{v}", f"testing-source-epel{v}")]
    return [(i, f, t) for i, (f, t) in enumerate(pairs, start=1)]


def netblock_country_plan(plan: Plan) -> list[Row]:
    rng = plan.rng("netblock_country")
    seen: set[str] = set()
    rows: list[Row] = []
    while len(rows) < max(5, plan.scale.netblocks // 200):
        block = random_netblock(rng)
        if block not in seen:
            seen.add(block)
            rows.append((len(rows) + 1, block, weighted_countries(rng, 1)[0].code))
    return rows


def propagation_plan(plan: Plan) -> list[Row]:
    """Six-hourly samples over a week for the updates repositories of the current releases."""
    rng = plan.rng("propagation_stat")
    watched = [i for i, r in enumerate(plan.tree.repos, start=1)
               if r.prefix.startswith(("updates-released-f", "epel-")) and r.arch == "x86_64"
               and CATEGORIES[r.category].name != "Fedora Archive"]
    public = sum(1 for h in plan.hosts if not h.private)
    rows: list[Row] = []
    for repo_id in watched:
        for step in range(28):
            when = EPOCH_DT - datetime.timedelta(hours=6 * step)
            same = rng.randint(public // 2, public)
            one = rng.randint(0, public - same)
            two = rng.randint(0, public - same - one)
            older = rng.randint(0, public - same - one - two)
            rows.append((repo_id, when, same, one, two, older,
                         public - same - one - two - older))
    return rows


def access_stat_plan(plan: Plan) -> list[Row]:
    rng = plan.rng("access_stat")
    rows: list[Row] = []
    repo_names = sorted({r.prefix for r in plan.tree.repos
                         if CATEGORIES[r.category].name in ("Fedora Linux", "Fedora EPEL")})[:30]
    keys = {1: [c.code for c in COUNTRIES[:30]],
            2: ["x86_64", "aarch64", "ppc64le", "s390x", "i386", "source"],
            3: repo_names}
    for day in range(30):
        date = (EPOCH_DT - datetime.timedelta(days=day + 1)).date()
        for cat_id, names in keys.items():
            requests = [rng.randint(100, 2_000_000) for _ in names]
            total = sum(requests) or 1
            for name, n in zip(names, requests, strict=True):
                rows.append((cat_id, date, name, round(100 * n / total, 3), n))
    return rows
