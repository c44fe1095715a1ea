"""The rows of the content tables: versions, categories, repositories, directories (with their
file lists) and file details."""

from __future__ import annotations

import random
from collections.abc import Iterator

from mirrormanager_devtools.dataset.plans import Plan, Row
from mirrormanager_devtools.dataset.reference import CATEGORIES, EPOCH
from mirrormanager_devtools.dataset.tree import (
    F_VOLATILE,
    FLAT_PACKAGES,
    IMAGES,
    ISO,
    PACKAGES,
    PXEBOOT,
    REPODATA,
    TREE,
    DirContext,
)
from mirrormanager_devtools.dataset.values import between, hex_digits, word
from mmcore.model import encode_file_list

_PACKAGE_STEMS = ("lib", "python3-", "perl-", "golang-", "rust-", "texlive-", "ghc-", "nodejs-",
                  "kernel", "gnome-", "kf6-", "qt6-", "")


# -- content ----------------------------------------------------------------------------

def version_rows(plan: Plan) -> Iterator[Row]:
    newest_archive = max(plan.scale.archive_fedora, default=0)
    for key, vid in plan.version_ids.items():
        v = plan.tree.versions[key]
        display = v.display and not (v.product == "Fedora" and v.name.isdigit()
                                     and int(v.name) < newest_archive - 5)
        yield (vid, v.name, None, v.is_test, display, v.display_name, True, v.sortorder,
               plan.product_ids[v.product])


def category_rows(plan: Plan) -> Iterator[Row]:
    for i, c in enumerate(CATEGORIES):
        canonical = ("https://download1.rpmfusion.org" if c.product == "RPMFUSION"
                     else "https://dl.fedoraproject.org")
        yield (i + 1, c.name, canonical, True, None, c.name == "Fedora Codecs",
               plan.product_ids[c.product], plan.tree.topdirs[i])


def repository_rows(plan: Plan) -> Iterator[Row]:
    names = plan.tree.names
    for i, r in enumerate(plan.tree.repos, start=1):
        yield (i, names[r.directory_id - 1], r.prefix, r.category + 1,
               plan.version_ids[r.version], plan.arch_ids[r.arch], r.directory_id,
               False)


def directory_rows(plan: Plan) -> Iterator[Row]:
    rng = plan.rng("directory")
    t = plan.tree
    repomd = repomd_current(plan)
    r = rng.random
    for i, (name, kind, ctx) in enumerate(zip(t.names, t.kinds, t.contexts, strict=True)):
        dir_id = i + 1
        mtime = EPOCH - int(r() * 86_400 * (30 if t.masks[i] & F_VOLATILE else 900))
        files = file_list(rng, kind, ctx, mtime, repomd.get(dir_id), dir_id)
        yield (dir_id, name, files, r() > 0.002, mtime)


def repomd_current(plan: Plan) -> dict[int, tuple[int, int]]:
    """``{repodata dir id: (size, timestamp)}`` of the newest repomd.xml (every repodata
    directory, repository or not: MirrorManager2 records any repomd.xml it lists)."""
    rng = plan.rng("repomd")
    return {
        i + 1: (rng.randint(3_000, 9_000),
                EPOCH - rng.randint(0, 86_400 * (2 if mask & F_VOLATILE else 400)))
        for i, (kind, mask) in enumerate(zip(plan.tree.kinds, plan.tree.masks, strict=True))
        if kind == REPODATA
    }


def file_detail_plan(plan: Plan) -> dict[int, list[tuple[str, int, int, bool]]]:
    """``{directory id: [(filename, size, timestamp, all checksums?)]}``, newest first."""
    details: dict[int, list[tuple[str, int, int, bool]]] = {}
    rng = plan.rng("file_detail_plan")
    for dir_id, (size, stamp) in repomd_current(plan).items():
        volatile = plan.tree.masks[dir_id - 1] & F_VOLATILE
        history = rng.choice((3, 4, 5, 6)) if volatile else rng.choice((1, 2, 2, 3))
        rows = [("repomd.xml", size, stamp, True)]
        for _ in range(history - 1):
            stamp -= rng.randint(3_600, 86_400 * 2)
            rows.append(("repomd.xml", rng.randint(3_000, 9_000), stamp, True))
        details[dir_id] = rows
    for i, (kind, ctx) in enumerate(zip(plan.tree.kinds, plan.tree.contexts, strict=True)):
        if kind in (ISO, IMAGES) and ctx is not None:
            details[i + 1] = [(n, s, ts, False) for n, s, ts in media_files(ctx, kind, i + 1)]
    return details


def file_detail_rows(plan: Plan) -> Iterator[Row]:
    rng = plan.rng("file_detail")
    next_id = 1
    for dir_id, rows in sorted(file_detail_plan(plan).items()):
        for filename, size, stamp, full in rows:
            sha256 = hex_digits(rng, 256)
            if full:
                yield (next_id, filename, stamp, size, hex_digits(rng, 160), hex_digits(rng, 128), sha256,
                       hex_digits(rng, 512), dir_id)
            else:
                yield (next_id, filename, stamp, size, None, None, sha256, None, dir_id)
            next_id += 1


def media_files(ctx: DirContext, kind: int, dir_id: int) -> list[tuple[str, int, int]]:
    """The images of a media directory (deterministic from the directory id)."""
    label = ctx.label or "Everything"
    stamp = EPOCH - 86_400 * (30 + dir_id % 500)
    compose = f"{ctx.version}-1.{1 + dir_id % 7}"
    if kind == ISO:
        names = [f"Fedora-{label}-Live-{ctx.arch}-{compose}.iso"]
        if label in ("Server", "Everything", "DVD"):
            names = [f"Fedora-{label}-netinst-{ctx.arch}-{compose}.iso"]
            if label != "Everything":
                names.append(f"Fedora-{label}-dvd-{ctx.arch}-{compose}.iso")
    else:
        names = [f"Fedora-{label}-{compose}.{ctx.arch}.qcow2",
                 f"Fedora-{label}-{compose}.{ctx.arch}.raw.xz"]
    return [(n, 700_000_000 + (dir_id * 7_919 + i * 104_729) % 1_800_000_000, stamp)
            for i, n in enumerate(names)]


def file_list(rng: random.Random, kind: int, ctx: DirContext | None, mtime: int,
               repomd: tuple[int, int] | None, dir_id: int) -> bytes:
    r = rng.random
    entries: list[tuple[str, int, int]] = []
    if kind == REPODATA:
        size, stamp = repomd or (4_000, mtime)
        entries.append(("repomd.xml", size, stamp))
        for part in ("primary.xml.zst", "filelists.xml.zst", "other.xml.zst"):
            entries.append((f"{hex_digits(rng, 256)}-{part}", between(r, 10_000, 60_000_000), stamp))
    elif kind in (PACKAGES, FLAT_PACKAGES):
        # MirrorManager2 keeps only the 3 newest packages of a directory full of them
        assert ctx is not None
        stems = len(_PACKAGE_STEMS)
        for _ in range(3):
            name = _PACKAGE_STEMS[int(r() * stems)] + word(rng).lower()
            arch = "noarch" if r() < 0.25 and ctx.arch != "src" else ctx.arch
            entries.append((f"{name}-{int(r() * 10)}.{int(r() * 41)}.{int(r() * 10)}"
                            f"-{1 + int(r() * 9)}.{ctx.dist}.{arch}.rpm",
                            between(r, 5_000, 90_000_000), mtime - int(r() * 86_400)))
    elif kind == TREE:
        entries.append((".treeinfo", between(r, 900, 2_000), mtime))
    elif kind in (ISO, IMAGES):
        assert ctx is not None
        images = media_files(ctx, kind, dir_id)
        entries.extend(images)
        label = ctx.label or "Everything"
        entries.append((f"Fedora-{label}-{ctx.version}-{ctx.arch}-CHECKSUM",
                        between(r, 900, 2_000), images[0][2]))
    elif kind == PXEBOOT:
        entries += [("vmlinuz", between(r, 12_000_000, 16_000_000), mtime),
                    ("initrd.img", between(r, 90_000_000, 160_000_000), mtime)]
    return encode_file_list(entries)
