"""The ``[ops]`` configuration section.

.. code-block:: toml

    [ops]
    access_stats_keep_days = 30
    propagation_keep_days = 7
    embargoed_countries = ["CU", "IR", "KP", "SD", "SY"]
    geoip_city = "/usr/share/GeoIP/GeoLite2-City.mmdb"
    netblock_ribs = ["http://ftp.routeviews.org/dnszones/rib.bz2"]
"""

from __future__ import annotations

import attrs

from mmcore.validators import at_least, between, checked


def _countries(value: tuple[str, ...]) -> None:
    for code in value:
        if len(code) != 2 or not code.isalpha():
            raise ValueError(f"{code!r} is not a two-letter country code")


@attrs.frozen
class OpsConfig:
    """The ``[ops]`` section (every key optional)."""

    #: ``expire-stats``: access statistics older than this many days are deleted
    #: (MirrorManager2's ACCESS_STATS_KEEP_DAYS)
    access_stats_keep_days: int = attrs.field(default=30, validator=at_least(1))
    #: ``expire-stats``: propagation statistics older than this (PROPAGATION_KEEP_DAYS)
    propagation_keep_days: int = attrs.field(default=7, validator=at_least(1))
    #: statistics count their clients as ``N/``; the world map leaves their hosts out
    #: (EMBARGOED_COUNTRIES; the ``embargoed_country`` table is added to these)
    embargoed_countries: tuple[str, ...] = attrs.field(
        default=("CU", "IR", "KP", "SD", "SY"), validator=checked(_countries)
    )
    #: ``worldmap``: a GeoIP2 (or GeoLite2) City database
    geoip_city: str = "/usr/share/GeoIP/GeoLite2-City.mmdb"
    #: ``move-to-archive``: the archive category (``--archive-category``)
    archive_category: str = "Fedora Archive"
    #: ``move-to-archive``: repositories of these categories are never archived
    archive_skip_categories: tuple[str, ...] = ("Fedora Codecs",)
    #: ``add-product``: the category is named ``"<category_prefix> <product>"``
    category_prefix: str = "Fedora"
    #: ``add-product``: the new category's canonical host
    canonicalhost: str = "https://dl.fedoraproject.org"
    #: ``add-product``: the host (by name) that gets an always-up-to-date copy of the new
    #: category; empty: none
    master_host: str = ""
    #: ``netblocks update``: dumps (files or URLs) read when ``--rib`` is not given
    netblock_ribs: tuple[str, ...] = ()
    #: ``netblocks update``: IPv4 prefixes broader than this are dropped
    min_prefix_v4: int = attrs.field(default=8, validator=between(0, 32))
    #: ``netblocks update``: IPv6 prefixes broader than this are dropped
    min_prefix_v6: int = attrs.field(default=16, validator=between(0, 128))
    #: ``netblocks update``: refuse a result with more than this fraction fewer lines than
    #: the file it replaces (unless ``--force``)
    netblocks_max_shrink: float = attrs.field(default=0.5, validator=between(0, 0.99))
    #: ``netblocks update``: largest dump downloaded, in bytes
    netblocks_max_download: int = attrs.field(default=4 << 30, validator=at_least(1))
