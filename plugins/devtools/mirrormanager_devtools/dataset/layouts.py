"""What the master tree of a scale holds: Fedora's release, update, rawhide, archive and
alternative trees, EPEL, the codecs and RPM Fusion, laid out as the real ones are."""

from __future__ import annotations

import attrs

from mirrormanager_devtools.dataset.reference import CATEGORIES
from mirrormanager_devtools.dataset.scales import Scale
from mirrormanager_devtools.dataset.tree import IMAGES, ISO, DirContext, Tree


def _fedora_arches_archive(v: int) -> tuple[str, ...]:
    if v <= 11:
        return ("i386", "x86_64", "ppc")
    if v <= 25:
        return ("i386", "x86_64")
    if v <= 30:
        return ("i386", "x86_64", "armhfp", "aarch64")
    if v <= 36:
        return ("x86_64", "armhfp", "aarch64")
    return ("x86_64", "aarch64")


def _secondary_arches_archive(v: int) -> tuple[str, ...]:
    if v < 12:
        return ()
    if v <= 20:
        return ("ppc", "ppc64", "s390", "s390x", "arm")
    if v <= 26:
        return ("ppc64", "ppc64le", "s390x", "aarch64")
    return ("ppc64le", "s390x")


def _fedora_release(t: Tree, cat: int, root: str, v: int, arches: tuple[str, ...],
                    letters: tuple[str, ...], editions: tuple[str, ...], *,
                    branched: bool = False) -> None:
    """``releases/V`` (or ``development/V``) of a Fedora-shaped tree, modern layout."""
    ver = t.version("Fedora", str(v), is_test=branched)
    dist = f"fc{v}"
    base = f"{root}{'development' if branched else 'releases'}/{v}"
    lettered = letters if v >= 17 else None
    for arch in arches:
        ctx = DirContext(arch, dist, str(v))
        t.repo(cat, f"{base}/Everything/{arch}/os", f"fedora-{v}", ver, arch, ctx, lettered,
               os_extras=True)
        t.repo(cat, f"{base}/Everything/{arch}/debug/tree", f"fedora-debug-{v}", ver, arch, ctx,
               lettered)
        if v <= 20:
            t.repo(cat, f"{base}/Fedora/{arch}/os", f"fedora-install-{v}", ver, arch, ctx, lettered,
                   os_extras=True)
            t.media(cat, f"{base}/Fedora/{arch}/iso", ISO, attrs.evolve(ctx, label="DVD"))
            t.media(cat, f"{base}/Live/{arch}", ISO, attrs.evolve(ctx, label="Live"))
            continue
        if branched:
            continue
        # Server has repodata but MirrorManager2 never makes repositories of Server trees
        t.packages(cat, f"{base}/Server/{arch}/os", ctx, lettered, os_extras=True)
        t.media(cat, f"{base}/Server/{arch}/iso", ISO, attrs.evolve(ctx, label="Server"))
        t.media(cat, f"{base}/Server/{arch}/images", IMAGES, attrs.evolve(ctx, label="Server"))
        t.media(cat, f"{base}/Everything/{arch}/iso", ISO, attrs.evolve(ctx, label="Everything"))
        t.media(cat, f"{base}/Cloud/{arch}/images", IMAGES, attrs.evolve(ctx, label="Cloud-Base"))
        t.media(cat, f"{base}/Container/{arch}/images", IMAGES,
                attrs.evolve(ctx, label="Container-Base"))
        for edition in editions:
            t.media(cat, f"{base}/{edition}/{arch}/iso", ISO, attrs.evolve(ctx, label=edition))
    source_ctx = DirContext("src", dist, str(v))
    if v <= 20:
        t.repo(cat, f"{base}/Everything/source/SRPMS", f"fedora-source-{v}", ver, "source",
               source_ctx, lettered)
    else:
        t.repo(cat, f"{base}/Everything/source/tree", f"fedora-source-{v}", ver, "source",
               source_ctx, lettered)


def _fedora_modular(t: Tree, cat: int, root: str, v: int, arches: tuple[str, ...],
                    letters: tuple[str, ...]) -> None:
    """The Modular trees Fedora 28 to 38 shipped next to Everything."""
    ver = t.version("Fedora", str(v))
    dist = f"fc{v}"
    trees = ((f"releases/{v}/Modular", "/os", "fedora-modular-{v}", "fedora-modular-debug-{v}",
              "fedora-modular-source-{v}"),
             (f"updates/{v}/Modular", "", "updates-released-modular-f{v}",
              "updates-released-modular-debug-f{v}", "updates-released-modular-source-f{v}"),
             (f"updates/testing/{v}/Modular", "", "updates-testing-modular-f{v}",
              "updates-testing-modular-debug-f{v}", "updates-testing-modular-source-f{v}"))
    for base, os_dir, main, debug, source in trees:
        for arch in arches:
            ctx = DirContext(arch, dist, str(v))
            t.repo(cat, f"{root}{base}/{arch}{os_dir}", main.format(v=v), ver, arch, ctx, letters)
            t.repo(cat, f"{root}{base}/{arch}/debug/tree", debug.format(v=v), ver, arch, ctx,
                   letters)
        t.repo(cat, f"{root}{base}/source/tree", source.format(v=v), ver, "source",
               DirContext("src", dist, str(v)), letters)


def _fedora_updates(t: Tree, cat: int, root: str, v: int, arches: tuple[str, ...],
                    letters: tuple[str, ...]) -> None:
    """``updates/V`` and ``updates/testing/V``; the flat pre-F28 layout for old releases."""
    ver = t.version("Fedora", str(v))
    dist = f"fc{v}"
    lettered = letters if v >= 17 else None
    for kind, stem in (("updates", "updates-released"), ("updates/testing", "updates-testing")):
        everything = "/Everything" if v >= 28 else ""
        base = f"{root}{kind}/{v}{everything}"
        for arch in arches:
            ctx = DirContext(arch, dist, str(v))
            t.repo(cat, f"{base}/{arch}", f"{stem}-f{v}", ver, arch, ctx, lettered)
            t.repo(cat, f"{base}/{arch}/debug", f"{stem}-debug-f{v}", ver, arch, ctx, lettered)
        source = f"{base}/source/tree" if v >= 28 else f"{base}/SRPMS"
        t.repo(cat, source, f"{stem}-source-f{v}", ver, "source", DirContext("src", dist, str(v)),
               lettered)


def _fedora_rawhide(t: Tree, cat: int, root: str, arches: tuple[str, ...],
                    letters: tuple[str, ...]) -> None:
    ver = t.version("Fedora", "rawhide")
    for arch in arches:
        ctx = DirContext(arch, "fc44", "rawhide")
        t.repo(cat, f"{root}development/rawhide/Everything/{arch}/os", "rawhide", ver, arch, ctx,
               letters, os_extras=True)
        t.repo(cat, f"{root}development/rawhide/Everything/{arch}/debug/tree", "rawhide-debug",
               ver, arch, ctx, letters)
    t.repo(cat, f"{root}development/rawhide/Everything/source/tree", "rawhide-source", ver,
           "source", DirContext("src", "fc44", "rawhide"), letters)


def _fedora_shaped(t: Tree, cat: int, scale: Scale, arches: tuple[str, ...]) -> None:
    """The primary or secondary Fedora tree: current releases, branched, updates, rawhide."""
    for v in scale.fedora_releases:
        _fedora_release(t, cat, "", v, arches, scale.package_letters, scale.editions)
        _fedora_updates(t, cat, "", v, arches, scale.package_letters)
    if scale.fedora_branched is not None:
        b = scale.fedora_branched
        _fedora_release(t, cat, "", b, arches, scale.package_letters, (), branched=True)
        _fedora_updates(t, cat, "", b, arches, scale.package_letters)
    _fedora_rawhide(t, cat, "", arches, scale.package_letters)


def _epel_release(t: Tree, cat: int, root: str, v: str, letters: tuple[str, ...],
                  *, old_layout: bool) -> None:
    ver = t.version("EPEL", v)
    dist = f"el{v}"
    arches = ("i386", "x86_64", "ppc64") if v in ("4", "5", "6") else (
        ("x86_64", "aarch64", "ppc64le") if v == "7" else ("x86_64", "aarch64", "ppc64le", "s390x"))
    lettered = letters if v not in ("4", "5") else None
    trees = [("", "epel-{v}", "epel-debug-{v}", "epel-source-{v}"),
             ("testing/", "testing-epel{v}", "testing-debug-epel{v}", "testing-source-epel{v}")]
    if not old_layout and v in ("8", "9"):
        trees.append(("next/", "epel-next-{v}", "epel-next-debug-{v}", "epel-next-source-{v}"))
    if not old_layout and v == "8":
        trees.append(("playground/", "playground-epel{v}", "playground-debug-epel{v}",
                      "playground-source-epel{v}"))
    for sub, main, debug, source in trees:
        base = f"{root}{sub}{v}" if old_layout else f"{root}{sub}{v}/Everything"
        for arch in arches:
            ctx = DirContext(arch, dist, v)
            t.repo(cat, f"{base}/{arch}", main.format(v=v), ver, arch, ctx, lettered)
            t.repo(cat, f"{base}/{arch}/debug", debug.format(v=v), ver, arch, ctx, lettered)
        src = f"{base}/SRPMS" if old_layout else f"{base}/source/tree"
        t.repo(cat, src, source.format(v=v), ver, "source", DirContext("src", dist, v), lettered)


def _rpmfusion(t: Tree, cat: int, scale: Scale, licence: str, flavour: str) -> None:
    letters = scale.package_letters
    if flavour == "fedora":
        versions: tuple[str, ...] = tuple(str(v) for v in scale.rpmfusion_fedora) + ("rawhide",)
        arches: tuple[str, ...] = ("x86_64", "aarch64", "ppc64le", "i386")
    else:
        versions = scale.rpmfusion_el
        arches = ("x86_64", "aarch64", "ppc64le")
    stem = f"{licence}-{flavour}"
    for v in versions:
        ver = t.version("RPMFUSION", v if flavour == "fedora" else f"el{v}")
        dist = f"fc{v}" if flavour == "fedora" else f"el{v}"
        if v == "rawhide":
            for arch in arches:
                ctx = DirContext(arch, "fc44", v)
                t.repo(cat, f"development/rawhide/Everything/{arch}/os", f"{stem}-rawhide", ver,
                       arch, ctx, letters)
                t.repo(cat, f"development/rawhide/Everything/{arch}/debug",
                       f"{stem}-rawhide-debug", ver, arch, ctx, letters)
            continue
        for arch in arches:
            ctx = DirContext(arch, dist, v)
            t.repo(cat, f"releases/{v}/Everything/{arch}/os", f"{stem}-{v}", ver, arch, ctx, letters)
            t.repo(cat, f"releases/{v}/Everything/{arch}/debug", f"{stem}-debug-{v}", ver, arch,
                   ctx, letters)
            t.repo(cat, f"updates/{v}/{arch}", f"{stem}-updates-released-{v}", ver, arch, ctx,
                   letters)
            t.repo(cat, f"updates/{v}/{arch}/debug", f"{stem}-updates-released-debug-{v}", ver,
                   arch, ctx, letters)
            t.repo(cat, f"updates/testing/{v}/{arch}", f"{stem}-updates-testing-{v}", ver, arch,
                   ctx, letters)
            t.repo(cat, f"updates/testing/{v}/{arch}/debug", f"{stem}-updates-testing-debug-{v}",
                   ver, arch, ctx, letters)
            if licence == "nonfree" and arch == "x86_64":
                for extra in ("steam", "nvidia-driver"):
                    t.repo(cat, f"{extra}/{v}/{arch}", f"{stem}-{extra}-{v}", ver, arch, ctx,
                           None)
            t.repo(cat, f"tainted/{v}/{arch}", f"{stem}-tainted-{v}", ver, arch, ctx, letters)
            t.repo(cat, f"tainted/{v}/{arch}/debug", f"{stem}-tainted-debug-{v}", ver, arch, ctx,
                   letters)
        src = DirContext("src", dist, v)
        t.repo(cat, f"releases/{v}/Everything/source/SRPMS", f"{stem}-source-{v}", ver, "source",
               src, letters)
        t.repo(cat, f"updates/{v}/SRPMS", f"{stem}-updates-released-source-{v}", ver, "source",
               src, letters)


def _alt(t: Tree, cat: int, scale: Scale) -> None:
    """``pub/alt``: stage composes, IoT, spins respins; no repositories (SKIP_PATHS_FOR_VERSION)."""
    versions = scale.fedora_releases + ((scale.fedora_branched,) if scale.fedora_branched else ())
    stages = ("_Beta-1.1", "_Beta-1.2", "_RC-1.1", "_RC-1.4", "_RC-1.5") if scale.name == "fedora" \
        else ("_RC-1.1",)
    for v in versions:
        for arch in ("x86_64", "aarch64", "ppc64le", "s390x"):
            ctx = DirContext(arch, f"fc{v}", str(v))
            for stage in (f"{v}{s}" for s in stages):
                for edition in ("Everything", "Server", "Workstation") + scale.editions[:3]:
                    t.media(cat, f"stage/{stage}/{edition}/{arch}/iso", ISO,
                            attrs.evolve(ctx, label=edition))
                t.media(cat, f"stage/{stage}/Cloud/{arch}/images", IMAGES,
                        attrs.evolve(ctx, label="Cloud-Base"))
                t.packages(cat, f"stage/{stage}/Everything/{arch}/os", ctx, scale.package_letters,
                           os_extras=True)
            t.media(cat, f"iot/{v}/IoT/{arch}/images", IMAGES, attrs.evolve(ctx, label="IoT"))
            t.media(cat, f"iot/{v}/IoT/{arch}/iso", ISO, attrs.evolve(ctx, label="IoT"))
            t.packages(cat, f"iot/{v}/IoT/{arch}/os", ctx, scale.package_letters[:4])
    for month in range(1, 13 if scale.name == "fedora" else 3):
        ctx = DirContext("x86_64", f"fc{scale.fedora_releases[-1]}", str(scale.fedora_releases[-1]),
                         "Live-respin")
        t.media(cat, f"live-respins/2024{month:02d}", ISO, ctx)
    for v in range(27, 27 + (12 if scale.name == "fedora" else 1)):
        ctx = DirContext("riscv64", f"fc{v}", str(v))
        t.packages(cat, f"risc-v/repos/f{v}/RPMS", ctx, None)
        t.packages(cat, f"risc-v/repos/f{v}/SRPMS", attrs.evolve(ctx, arch="src"), None)


def _codecs(t: Tree, cat: int, scale: Scale) -> None:
    versions = tuple(str(v) for v in scale.codecs_releases) + ("rawhide",)
    for v in versions:
        ver = t.version("Fedora", v)
        for arch in ("x86_64", "aarch64", "ppc64le", "s390x", "i386"):
            ctx = DirContext(arch, "fc44" if v == "rawhide" else f"fc{v}", v)
            t.repo(cat, f"{v}/{arch}/os", f"fedora-cisco-openh264-{v}", ver, arch, ctx, None)
            t.repo(cat, f"{v}/{arch}/debug/tree", f"fedora-cisco-openh264-debug-{v}", ver, arch,
                   ctx, None)


def _fedora_core(t: Tree, cat: int, v: int) -> None:
    """Fedora Core 1-6 and Fedora Extras 3-6 (flat trees) under the archive."""
    ver = t.version("Fedora", str(v))
    dist = f"fc{v}"
    for arch in ("i386", "x86_64", "ppc"):
        ctx = DirContext(arch, dist, str(v))
        t.repo(cat, f"fedora/linux/core/{v}/{arch}/os", f"core-{v}", ver, arch, ctx, None)
        t.repo(cat, f"fedora/linux/core/{v}/{arch}/debug", f"core-debug-{v}", ver, arch, ctx, None)
        t.repo(cat, f"fedora/linux/core/updates/{v}/{arch}", f"updates-released-fc{v}", ver, arch,
               ctx, None)
        t.repo(cat, f"fedora/linux/core/updates/{v}/{arch}/debug",
               f"updates-released-debug-fc{v}", ver, arch, ctx, None)
        t.repo(cat, f"fedora/linux/core/updates/testing/{v}/{arch}", f"updates-testing-fc{v}",
               ver, arch, ctx, None)
        if v >= 3:
            t.repo(cat, f"fedora/linux/extras/{v}/{arch}", f"extras-{v}", ver, arch, ctx, None)
            t.repo(cat, f"fedora/linux/extras/{v}/{arch}/debug", f"extras-debug-{v}", ver, arch,
                   ctx, None)
    src = DirContext("src", dist, str(v))
    t.repo(cat, f"fedora/linux/core/{v}/source/SRPMS", f"core-source-{v}", ver, "source", src,
           None)
    t.repo(cat, f"fedora/linux/core/updates/{v}/SRPMS", f"updates-released-source-fc{v}", ver,
           "source", src, None)


def _archive(t: Tree, cat: int, scale: Scale) -> None:
    letters = scale.package_letters
    for v in scale.archive_core:
        _fedora_core(t, cat, v)
    for v in scale.archive_fedora:
        root = "fedora/linux/"
        _fedora_release(t, cat, root, v, _fedora_arches_archive(v), letters, scale.editions[:2])
        _fedora_updates(t, cat, root, v, _fedora_arches_archive(v), letters)
        if 28 <= v <= 38:
            _fedora_modular(t, cat, root, v, _fedora_arches_archive(v), letters)
        secondary = _secondary_arches_archive(v)
        if secondary:
            _fedora_release(t, cat, "fedora-secondary/", v, secondary, letters, ())
            _fedora_updates(t, cat, "fedora-secondary/", v, secondary, letters)
            if 28 <= v <= 38:
                _fedora_modular(t, cat, "fedora-secondary/", v, secondary, letters)
    for v in scale.archive_epel:
        _epel_release(t, cat, "epel/", v, letters, old_layout=True)


def build_tree(scale: Scale) -> Tree:
    """The whole planned master tree of ``scale`` (no randomness: the tree is the same for
    every seed)."""
    t = Tree()
    index = {c.name: i for i, c in enumerate(CATEGORIES)}
    for i in range(len(CATEGORIES)):
        t.add(i, "")
    _fedora_shaped(t, index["Fedora Linux"], scale, ("x86_64", "aarch64", "ppc64le", "s390x"))
    for v in scale.epel_releases:
        _epel_release(t, index["Fedora EPEL"], "", v, scale.package_letters, old_layout=False)
    _fedora_shaped(t, index["Fedora Secondary Arches"], scale, ("i386", "riscv64"))
    _archive(t, index["Fedora Archive"], scale)
    _alt(t, index["Fedora Other"], scale)
    _codecs(t, index["Fedora Codecs"], scale)
    for licence in ("free", "nonfree"):
        _rpmfusion(t, index[f"RPMFUSION {licence} Fedora"], scale, licence, "fedora")
        _rpmfusion(t, index[f"RPMFUSION {licence} EL"], scale, licence, "el")
    return t
