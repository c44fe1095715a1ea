"""OpenID Connect log-in (authorization code flow with PKCE).

The provider is found through its discovery document (``[ui] oidc_issuer`` +
``/.well-known/openid-configuration``).  The ID token's signature is checked against the
provider's JWKS, and its issuer, audience, expiry and nonce against what this app expects; the
user name and groups come from the configured claims (the ID token's, else the userinfo
endpoint's).  The identity then gets an ordinary server-side session.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
import time
from typing import Any

import attrs
import httpx
import jwt
from quart import Blueprint, abort, redirect, request, session, url_for
from quart.typing import ResponseReturnValue

from mmcore.accounts.identity import Identity
from mmcore.logs import kv

from mirrormanager_quart_ui.config import UiConfig
from mirrormanager_quart_ui.context import ui_context
from mirrormanager_quart_ui.security import begin_session, client_address

log = logging.getLogger(__name__)

oidc = Blueprint("oidc", __name__, url_prefix="/oidc")

HTTP_TIMEOUT = 10.0
#: seconds a discovery document and key set are reused
DISCOVERY_TTL = 3600
#: seconds of clock difference tolerated on ``exp``/``iat``
LEEWAY = 60
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384"]
MAX_DOCUMENT_BYTES = 512 * 1024


class OidcError(Exception):
    """The provider's answer cannot be trusted or used; the message says why (logged)."""


@attrs.define
class _Provider:
    fetched: float
    metadata: dict[str, Any]
    keys: jwt.PyJWKSet


_providers: dict[str, _Provider] = {}


async def _get_json(client: httpx.AsyncClient, url: str) -> dict[str, Any]:
    response = await client.get(url)
    if response.status_code != 200 or len(response.content) > MAX_DOCUMENT_BYTES:
        raise OidcError(f"{url} answered {response.status_code}")
    data = response.json()
    if not isinstance(data, dict):
        raise OidcError(f"{url} did not return a JSON object")
    return data


async def provider(settings: UiConfig, *, refresh: bool = False) -> _Provider:
    """The issuer's discovery document and keys (cached for :data:`DISCOVERY_TTL`)."""
    issuer = settings.oidc_issuer.rstrip("/")
    cached = _providers.get(issuer)
    if cached and not refresh and time.monotonic() - cached.fetched < DISCOVERY_TTL:
        return cached
    async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as client:
        metadata = await _get_json(client, f"{issuer}/.well-known/openid-configuration")
        if metadata.get("issuer", "").rstrip("/") != issuer:
            raise OidcError(f"discovery document names issuer {metadata.get('issuer')!r}")
        keys = jwt.PyJWKSet.from_dict(await _get_json(client, metadata["jwks_uri"]))
    found = _Provider(time.monotonic(), metadata, keys)
    _providers[issuer] = found
    return found


def _redirect_uri(settings: UiConfig) -> str:
    base = settings.application_url.rstrip("/") or request.host_url.rstrip("/")
    return base + url_for("oidc.callback")


@oidc.get("/login")
async def login() -> ResponseReturnValue:
    ui = ui_context()
    settings = ui.settings
    if not settings.oidc_issuer:
        abort(404, "OpenID Connect is not configured.")
    try:
        found = await provider(settings)
    except (OidcError, httpx.HTTPError, ValueError, KeyError, jwt.PyJWTError) as exc:
        log.error(kv(event="oidc_discovery_failed", issuer=settings.oidc_issuer, error=str(exc)))
        abort(503, "The identity provider cannot be reached; try again later.")
    state, nonce, verifier = (secrets.token_urlsafe(24) for _ in range(3))
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    session["oidc"] = {"state": state, "nonce": nonce, "verifier": verifier,
                       "next": request.args.get("next", "")[:500]}
    params = httpx.QueryParams({
        "response_type": "code", "client_id": settings.oidc_client_id,
        "redirect_uri": _redirect_uri(settings), "scope": " ".join(settings.oidc_scopes),
        "state": state, "nonce": nonce, "code_challenge": challenge.decode(),
        "code_challenge_method": "S256",
    })
    return redirect(f"{found.metadata['authorization_endpoint']}?{params}", 303)


def verify_id_token(token: str, found: _Provider, settings: UiConfig, nonce: str) -> dict[str, Any]:
    """The ID token's claims once its signature, issuer, audience, expiry and nonce check out."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise OidcError(f"malformed ID token: {exc}") from None
    if header.get("alg") not in ALGORITHMS:
        raise OidcError(f"ID token algorithm {header.get('alg')!r} not accepted")
    candidates = [k for k in found.keys.keys if k.key_id == header.get("kid")] or (
        list(found.keys.keys) if header.get("kid") is None else [])
    if not candidates:
        raise OidcError(f"no provider key {header.get('kid')!r}")
    try:
        claims = jwt.decode(
            token, candidates[0].key, algorithms=[header["alg"]],
            audience=settings.oidc_client_id, issuer=found.metadata["issuer"], leeway=LEEWAY,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
    except jwt.PyJWTError as exc:
        raise OidcError(f"ID token refused: {exc}") from None
    if not secrets.compare_digest(str(claims.get("nonce", "")), nonce):
        raise OidcError("ID token nonce does not match this log-in")
    return claims


@oidc.get("/callback")
async def callback() -> ResponseReturnValue:
    ui = ui_context()
    settings = ui.settings
    pending = session.pop("oidc", None)
    state = request.args.get("state", "")
    if not pending or not secrets.compare_digest(state, pending.get("state", "")):
        abort(400, "This log-in was not started here or has expired; log in again.")
    if request.args.get("error"):
        abort(401, f"The identity provider refused the log-in: "
                   f"{request.args.get('error')[:100]}")
    code = request.args.get("code", "")
    try:
        found = await provider(settings)
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as client:
            answer = await client.post(found.metadata["token_endpoint"], data={
                "grant_type": "authorization_code", "code": code,
                "redirect_uri": _redirect_uri(settings), "code_verifier": pending["verifier"],
            }, auth=(settings.oidc_client_id, settings.oidc_client_secret))
            if answer.status_code != 200:
                raise OidcError(f"token endpoint answered {answer.status_code}")
            tokens = answer.json()
            claims = verify_id_token(str(tokens.get("id_token", "")), found, settings,
                                     pending["nonce"])
            info: dict[str, Any] = {}
            if (settings.oidc_username_claim not in claims
                    or settings.oidc_groups_claim not in claims) and \
                    found.metadata.get("userinfo_endpoint") and tokens.get("access_token"):
                reply = await client.get(found.metadata["userinfo_endpoint"], headers={
                    "Authorization": f"Bearer {tokens['access_token']}"})
                if reply.status_code == 200:
                    info = reply.json()
                    if info.get("sub") != claims["sub"]:
                        raise OidcError("userinfo is about another subject")
    except (OidcError, httpx.HTTPError, ValueError, KeyError) as exc:
        log.warning(kv(event="oidc_login_failed", error=str(exc), address=client_address()))
        abort(401, "The log-in through the identity provider could not be verified.")
    merged = {**info, **claims}
    username = str(merged.get(settings.oidc_username_claim) or "")[:255]
    if not username:
        abort(401, f"The identity provider did not say the user name "
                   f"({settings.oidc_username_claim}).")
    groups = merged.get(settings.oidc_groups_claim) or []
    identity = Identity(username, tuple(str(g) for g in groups if isinstance(g, str)),
                        merged.get("email"), merged.get("name"), "oidc")
    started = await ui.db(ui.accounts.start_session, identity, client_address())
    begin_session(started)
    log.info(kv(event="login", username=username, provider="oidc", address=client_address()))
    target = pending.get("next") or ""
    if not (target.startswith("/") and not target.startswith("//")):
        target = url_for("sites.mine")
    return redirect(target, 303)
