"""The fixed reference data a deployment is drawn from: the clock it counts back from, countries,
architectures, locations, products and the categories of Fedora's and RPM Fusion's trees."""

from __future__ import annotations

import datetime

import attrs

#: "now" for every generated time stamp (2025-06-01 00:00 UTC), so output never depends on the clock
EPOCH = 1_748_736_000
EPOCH_DT = datetime.datetime(2025, 6, 1, 0, 0, 0)


@attrs.frozen
class CountryInfo:
    code: str
    weight: float
    continent: str
    latitude: float
    longitude: float
    tlds: tuple[str, ...]


def _c(code: str, weight: float, continent: str, lat: float, lon: float,
       *tlds: str) -> CountryInfo:
    return CountryInfo(code, weight, continent, lat, lon, tlds or (code.lower(),))


#: where mirrors are, roughly weighted like Fedora's public mirror list
COUNTRIES: tuple[CountryInfo, ...] = (
    _c("US", 22, "NA", 39.8, -98.6, "edu", "com", "org", "net"),
    _c("DE", 11, "EU", 51.2, 10.4, "de"), _c("FR", 4, "EU", 46.6, 2.2),
    _c("CN", 5, "AS", 35.9, 104.2, "edu.cn", "cn", "com"), _c("JP", 4, "AS", 36.2, 138.3, "ac.jp", "jp"),
    _c("BR", 3, "SA", -14.2, -51.9, "br", "com.br"), _c("GB", 4, "EU", 54.0, -2.0, "ac.uk", "co.uk"),
    _c("NL", 3, "EU", 52.1, 5.3), _c("CZ", 3, "EU", 49.8, 15.5), _c("RU", 2.5, "EU", 55.8, 37.6),
    _c("SE", 2, "EU", 60.1, 18.6), _c("CA", 3, "NA", 56.1, -106.3), _c("AU", 2, "OC", -25.3, 133.8, "edu.au", "com.au"),
    _c("IN", 2, "AS", 20.6, 79.0), _c("KR", 1.5, "AS", 35.9, 127.8, "ac.kr", "kr"),
    _c("TW", 2, "AS", 23.7, 121.0, "edu.tw", "tw"), _c("IT", 2, "EU", 41.9, 12.6),
    _c("ES", 2, "EU", 40.5, -3.7), _c("CH", 2, "EU", 46.8, 8.2), _c("AT", 1.5, "EU", 47.5, 14.6),
    _c("PL", 2, "EU", 51.9, 19.1), _c("FI", 1, "EU", 61.9, 25.7), _c("DK", 1, "EU", 56.3, 9.5),
    _c("NO", 1, "EU", 60.5, 8.5), _c("ZA", 1, "AF", -30.6, 22.9, "ac.za", "co.za"),
    _c("SG", 1, "AS", 1.35, 103.8), _c("HK", 1, "AS", 22.3, 114.2),
    _c("ID", 1.5, "AS", -0.8, 113.9, "ac.id", "id"), _c("TH", 1, "AS", 15.9, 100.9),
    _c("VN", 1, "AS", 14.1, 108.3), _c("AR", 0.7, "SA", -38.4, -63.6), _c("CL", 0.7, "SA", -35.7, -71.5),
    _c("CO", 0.5, "SA", 4.6, -74.3), _c("MX", 0.7, "NA", 23.6, -102.6), _c("NZ", 0.7, "OC", -40.9, 174.9),
    _c("IL", 0.5, "AS", 31.0, 34.9), _c("TR", 0.7, "AS", 39.0, 35.2), _c("GR", 0.7, "EU", 39.1, 21.8),
    _c("PT", 0.7, "EU", 39.4, -8.2), _c("RO", 1, "EU", 45.9, 25.0), _c("HU", 0.7, "EU", 47.2, 19.5),
    _c("UA", 1, "EU", 48.4, 31.2), _c("BG", 0.7, "EU", 42.7, 25.5), _c("KZ", 0.5, "AS", 48.0, 66.9),
    _c("BD", 0.5, "AS", 23.7, 90.4), _c("EC", 0.4, "SA", -1.8, -78.2), _c("KE", 0.4, "AF", -0.0, 37.9),
    _c("BY", 0.3, "EU", 53.7, 28.0), _c("LT", 0.5, "EU", 55.2, 23.9), _c("LV", 0.4, "EU", 56.9, 24.6),
    _c("EE", 0.3, "EU", 58.6, 25.0), _c("SK", 0.5, "EU", 48.7, 19.7), _c("SI", 0.3, "EU", 46.2, 15.0),
    _c("HR", 0.3, "EU", 45.1, 15.2), _c("RS", 0.3, "EU", 44.0, 21.0), _c("IE", 0.5, "EU", 53.4, -8.2),
    _c("BE", 0.7, "EU", 50.5, 4.5), _c("LU", 0.3, "EU", 49.8, 6.1), _c("IS", 0.2, "EU", 64.9, -19.0),
    _c("AM", 0.2, "AS", 40.1, 45.0), _c("GE", 0.2, "AS", 42.3, 43.4), _c("JO", 0.1, "AS", 30.6, 36.2),
    _c("EG", 0.3, "AF", 26.8, 30.8), _c("MA", 0.2, "AF", 31.8, -7.1), _c("NG", 0.2, "AF", 9.1, 8.7),
    _c("PH", 0.4, "AS", 12.9, 121.8), _c("MY", 0.5, "AS", 4.2, 101.9), _c("PK", 0.3, "AS", 30.4, 69.3),
    _c("NP", 0.2, "AS", 28.4, 84.1), _c("AE", 0.3, "AS", 23.4, 53.8), _c("SA", 0.2, "AS", 23.9, 45.1),
    _c("CR", 0.2, "NA", 9.7, -83.8), _c("UY", 0.2, "SA", -32.5, -55.8), _c("PE", 0.3, "SA", -9.2, -75.0),
)

#: continent overrides (MirrorManager2's test data sends IL, AM and JO to Europe)
CONTINENT_REDIRECTS = (("IL", "EU"), ("AM", "EU"), ("JO", "EU"), ("GE", "EU"), ("CY", "EU"),
                       ("AZ", "EU"), ("TR", "EU"))
EMBARGOED = ("CU", "IR", "KP", "SY")

#: ``(name, publiclist, primary_arch)``
ARCHES: tuple[tuple[str, bool, bool], ...] = (
    ("source", False, False), ("x86_64", True, True), ("aarch64", True, True),
    ("i386", True, True), ("ppc64le", True, False), ("s390x", True, False),
    ("ppc64", True, False), ("ppc", True, False), ("armhfp", True, False),
    ("riscv64", False, False), ("s390", False, False), ("arm", False, False),
)
ARCH_NAMES = tuple(a[0] for a in ARCHES)

LOCATIONS = ("Fedora Infrastructure", "AWS us-east-1", "AWS us-west-2", "AWS eu-central-1",
             "AWS eu-west-1", "AWS ap-southeast-1", "AWS ap-northeast-1", "Internet2")


@attrs.frozen
class CategorySpec:
    name: str
    product: str
    topdir: str
    #: path of the category below a mirror's base URL
    url_path: str


CATEGORIES: tuple[CategorySpec, ...] = (
    CategorySpec("Fedora Linux", "Fedora", "pub/fedora/linux", "fedora/linux"),
    CategorySpec("Fedora EPEL", "EPEL", "pub/epel", "epel"),
    CategorySpec("Fedora Secondary Arches", "Fedora", "pub/fedora-secondary", "fedora-secondary"),
    CategorySpec("Fedora Archive", "Fedora", "pub/archive", "archive"),
    CategorySpec("Fedora Other", "Fedora", "pub/alt", "alt"),
    CategorySpec("Fedora Codecs", "Fedora", "pub/fedora-cisco-openh264", "openh264"),
    CategorySpec("RPMFUSION free Fedora", "RPMFUSION", "rpmfusion/free/fedora", "rpmfusion/free/fedora"),
    CategorySpec("RPMFUSION nonfree Fedora", "RPMFUSION", "rpmfusion/nonfree/fedora",
                 "rpmfusion/nonfree/fedora"),
    CategorySpec("RPMFUSION free EL", "RPMFUSION", "rpmfusion/free/el", "rpmfusion/free/el"),
    CategorySpec("RPMFUSION nonfree EL", "RPMFUSION", "rpmfusion/nonfree/el", "rpmfusion/nonfree/el"),
)
PRODUCTS = ("Fedora", "EPEL", "RPMFUSION")
