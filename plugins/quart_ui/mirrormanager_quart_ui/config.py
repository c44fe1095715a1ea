"""The ``[ui]`` configuration section (web UI and JSON API)."""

from __future__ import annotations

import re

import attrs

from mmcore.accounts.service import AccountRules
from mmcore.manage.rules import ManageRules

AUTH_METHODS = ("local", "oidc")


def _regex(_instance: object, attribute: attrs.Attribute, value: str) -> None:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"{attribute.name}: not a regular expression: {exc}") from None


def _methods(_instance: object, attribute: attrs.Attribute, value: list[str]) -> None:
    unknown = set(value) - set(AUTH_METHODS)
    if unknown or not value:
        raise ValueError(f"{attribute.name}: expected some of {', '.join(AUTH_METHODS)}, "
                         f"got {value!r}")


def _url(_instance: object, attribute: attrs.Attribute, value: str) -> None:
    if value and not re.match(r"^https?://[^/\s]+(/\S*)?$", value):
        raise ValueError(f"{attribute.name}: expected an http(s) URL, got {value!r}")

from mmcore.validators import between, listen_address, url_with_scheme


@attrs.frozen
class UiConfig:
    """``[ui]``: every key optional (the defaults suit a test on 127.0.0.1 except
    ``secret_key`` and ``cookie_secure``, see docs/ui.md)."""

    #: HOST:PORT the web UI listens on (``serve ui --listen`` overrides)
    listen: str = attrs.field(default="127.0.0.1:8080", validator=listen_address)
    #: processes serving the UI on that port (``serve ui --workers`` overrides); more than one
    #: needs a config file, which each reads, and keeps its own page caches
    workers: int = attrs.field(default=1, validator=between(1, 64))
    #: shown in the page title
    title: str = "MirrorManager"
    #: the public base URL (``https://mirrors.example.org``), for links in mails and events;
    #: empty: taken from each request
    application_url: str = attrs.field(default="", validator=url_with_scheme("http", "https"))
    #: signs session cookies; empty: a random key kept in ``<data_dir>/ui-secret-key``
    secret_key: str = ""
    #: send the session cookie over HTTPS only; turn off only for plain-HTTP tests
    cookie_secure: bool = True
    #: the session cookie's name
    cookie_name: str = "mirrormanager_session"
    #: seconds a log-in lasts
    session_lifetime: int = attrs.field(default=8 * 3600, validator=between(60, 90 * 86400))
    #: ``local`` (accounts with passwords), ``oidc`` (OpenID Connect), or both
    auth: list[str] = attrs.field(factory=lambda: ["local"], validator=_methods)
    #: anyone may register a local account
    registration: bool = True
    #: groups (or user names) whose members are MirrorManager admins
    admin_groups: list[str] = attrs.field(factory=lambda: ["sysadmin-main"])
    #: failed log-ins per user name or address within ``login_window`` seconds before log-ins
    #: are refused until the window has passed
    login_max_failures: int = attrs.field(default=5, validator=between(1, 1000))
    #: seconds over which failed log-ins are counted
    login_window: int = attrs.field(default=900, validator=between(1, 86400))
    #: seconds every failed log-in answer is held back
    login_failure_delay: float = attrs.field(default=1.0, validator=between(0, 30))
    #: seconds a confirmation or password-reset link stays valid
    token_lifetime: int = attrs.field(default=24 * 3600, validator=between(60, 30 * 86400))
    #: mail: SMTP server ``host`` or ``host:port``; empty: mails are written to the log
    smtp_server: str = ""
    #: SMTP log-in (empty: none)
    smtp_username: str = ""
    #: SMTP password
    smtp_password: str = ""
    #: switch to TLS when the SMTP server offers STARTTLS
    smtp_starttls: bool = True
    #: the From address of mails
    mail_from: str = "mirrormanager@localhost"
    #: OpenID Connect: the issuer URL (its ``/.well-known/openid-configuration`` is read)
    oidc_issuer: str = attrs.field(default="", validator=url_with_scheme("http", "https"))
    #: OpenID Connect: this application's client id at the provider
    oidc_client_id: str = ""
    #: OpenID Connect: the client secret (sent with HTTP basic authentication)
    oidc_client_secret: str = ""
    #: OpenID Connect: scopes asked for (add the provider's groups scope if it has one)
    oidc_scopes: list[str] = attrs.field(factory=lambda: ["openid", "email", "profile"])
    #: the ID token (or userinfo) claim holding the user name
    oidc_username_claim: str = "preferred_username"
    #: the claim holding the list of groups (matched against ``admin_groups``)
    oidc_groups_claim: str = "groups"
    #: the largest IPv4 netblock a site admin may add, as a prefix length (MirrorManager2's
    #: MM_IPV4_NETBLOCK_SIZE)
    ipv4_netblock_max_prefix: int = attrs.field(default=16, validator=between(0, 32))
    #: the same for IPv6 (MM_IPV6_NETBLOCK_SIZE)
    ipv6_netblock_max_prefix: int = attrs.field(default=32, validator=between(0, 128))
    #: MirrorManager2's MM_PROTOCOL_REGEX: host category URLs must match (default: no FTP)
    url_protocol_regex: str = attrs.field(default=r"^(?!ftp)(.*)$", validator=_regex)
    #: rows per page of list pages
    page_size: int = attrs.field(default=20, validator=between(1, 500))
    #: seconds the public pages (mirror list, index, map) are served from memory
    public_cache_seconds: float = attrs.field(default=10.0, validator=between(0, 3600))
    #: seconds a host page reuses its categories' directory counts (they change when the
    #: crawler runs; the UI's own changes to a host drop them at once)
    host_counts_seconds: float = attrs.field(default=30.0, validator=between(0, 3600))
    #: addresses of reverse proxies whose ``X-Forwarded-For`` names the client (its last
    #: entry); requests from elsewhere are taken at their own address
    trusted_proxies: list[str] = attrs.field(factory=list)
    #: the longest an API token may live, days
    api_token_max_days: int = attrs.field(default=365, validator=between(1, 3650))
    #: largest request body accepted, bytes
    max_request_bytes: int = attrs.field(default=1024 * 1024, validator=between(1024, 2**31))

    def manage_rules(self, url_schemes: frozenset[str] | None = None) -> ManageRules:
        rules = ManageRules(
            ipv4_netblock_max_prefix=self.ipv4_netblock_max_prefix,
            #: the same for IPv6 (MM_IPV6_NETBLOCK_SIZE)
    ipv6_netblock_max_prefix=self.ipv6_netblock_max_prefix,
            url_protocol_regex=self.url_protocol_regex,
        )
        return attrs.evolve(rules, url_schemes=url_schemes) if url_schemes else rules

    def account_rules(self) -> AccountRules:
        return AccountRules(
            session_lifetime=self.session_lifetime, token_lifetime=self.token_lifetime,
            login_max_failures=self.login_max_failures, login_window=self.login_window,
            registration=self.registration and "local" in self.auth,
        )
