"""What the demo builds: a small master tree, mirror copies in various states, the deployment
that registers them, and the configuration that ties it together."""

from __future__ import annotations

from pathlib import Path

import attrs

from mirrormanager_devtools.mastertree import MasterTree, TreeSpec
from mmcore.toml_writer import dumps

#: one release, its updates and EPEL, for one arch: three repositories
TREE = TreeSpec(
    fedora_releases=(40,),
    epel_releases=(9,),
    arches=("x86_64",),
    packages_per_repo=12,
    package_dirs=1,
    debug=False,
    source=False,
    testing=False,
    rawhide=False,
    images=False,
)


@attrs.frozen
class DemoMirror:
    """One mirror host of the demo and the state its copy is in."""

    name: str
    country: str
    #: protocols it is registered with (``http``, ``ftp``, ``rsync``; ``down``: a dead port)
    protocols: tuple[str, ...]
    #: what is wrong with its copy, for the table
    state: str
    stale: tuple[str, ...] = ()  # repository prefixes given older metadata
    missing: tuple[str, ...] = ()  # repository prefixes left out of the copy

    @property
    def host(self) -> str:
        return f"{self.name}.demo.example"


MIRRORS = (
    DemoMirror("mirror1", "DE", ("http", "rsync"), "complete copy"),
    DemoMirror("mirror2", "US", ("ftp",), "complete copy"),
    DemoMirror("mirror3", "FR", ("http",), "stale updates", stale=("updates-released-f40",)),
    DemoMirror("mirror4", "GB", ("rsync", "http"), "missing EPEL", missing=("epel-9",)),
    DemoMirror("mirror5", "NL", ("down",), "server down"),
)


@attrs.frozen
class Ports:
    http: int
    ftp: int
    rsync: int
    down: int


def repository_paths(tree: MasterTree, prefixes: tuple[str, ...]) -> list[str]:
    return [repo.path for repo in tree.repositories if repo.prefix in prefixes]


def mirror_urls(mirror: DemoMirror, topdir: str, ports: Ports) -> list[str]:
    urls = []
    for protocol in mirror.protocols:
        if protocol == "http":
            urls.append(f"http://127.0.0.1:{ports.http}/{mirror.name}/{topdir}")
        elif protocol == "ftp":
            urls.append(f"ftp://127.0.0.1:{ports.ftp}/{mirror.name}/{topdir}")
        elif protocol == "rsync":
            urls.append(f"rsync://127.0.0.1:{ports.rsync}/{mirror.name}/{topdir}")
        elif protocol == "down":
            urls.append(f"http://127.0.0.1:{ports.down}/{mirror.name}/{topdir}")
    return urls


def deployment_toml(tree: MasterTree, ports: Ports) -> str:
    """The declarative deployment (``mirrormanager import``) registering every demo mirror."""
    categories = [
        {"name": c.name, "product": c.product, "topdir": c.topdir,
         "canonicalhost": "http://master.demo.example"}
        for c in tree.categories
    ]
    sites = [
        {
            "name": f"{mirror.name.capitalize()} Demo Site",
            "password": f"{mirror.name}-secret",
            "org_url": f"https://{mirror.host}",
            "admins": ["demo"],
            "host": [
                {
                    "name": mirror.host,
                    "country": mirror.country,
                    "bandwidth_int": 1000,
                    "category": [
                        {"name": c.name, "urls": mirror_urls(mirror, c.topdir, ports)}
                        for c in tree.categories
                    ],
                }
            ],
        }
        for mirror in MIRRORS
    ]
    document = {
        "arch": [{"name": arch, "primary": True} for arch in TREE.arches],
        "category": categories,
        "site": sites,
    }
    return dumps(document, comment="demo deployment, written by 'mirrormanager demo'")


def config_toml(directory: Path, tree: MasterTree, listen: str) -> str:
    """The demo's configuration: everything under ``directory``, short crawl timeouts."""
    var = directory / "var"
    document = {
        "database": {"url": f"sqlite:///{directory / 'mirrormanager.db'}"},
        "paths": {"data_dir": str(var)},
        "umdl": {
            "master": [
                {
                    "category": c.name,
                    "product": c.product,
                    "topdir": c.topdir,
                    "source": "directory",
                    "path": str(tree.root / c.topdir),
                }
                for c in tree.categories
            ]
        },
        "crawler": {
            "concurrency": 10,
            "host_timeout": 60.0,
            "connect_timeout": 3.0,
            "operation_timeout": 10.0,
        },
        "mirrorlist": {
            "cache_path": str(var / "mirrorlist_cache.proto"),
            "access_log": str(var / "mirrorlist.log"),
            "listen": listen,
            "workers": 1,
        },
        "ui": {"listen": "127.0.0.1:0", "title": "MirrorManager demo"},
    }
    return dumps(document, comment="demo configuration, written by 'mirrormanager demo'")
