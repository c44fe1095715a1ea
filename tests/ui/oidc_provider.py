"""A small OpenID Connect provider for the tests, served on 127.0.0.1: discovery, authorize
(it logs in whoever it is told to), token (with client secret and PKCE checks), JWKS and
userinfo.  ``misbehave`` makes it issue ID tokens a client must refuse."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from typing import Any

import attrs
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from quart import Response, jsonify, redirect, request
from quart_trio import QuartTrio

CLIENT_ID = "mirrormanager-test"
CLIENT_SECRET = "client-secret"


def _jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    data = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return {**data, "kid": kid, "use": "sig", "alg": "RS256"}


@attrs.define
class Provider:
    issuer: str = ""
    user: dict[str, Any] = attrs.field(factory=lambda: {
        "sub": "u-1", "preferred_username": "fasuser", "email": "fas@example.org",
        "name": "Fas User", "groups": ["packager"]})
    #: "", "wrong_key", "wrong_audience", "wrong_nonce", "expired", "wrong_issuer"
    misbehave: str = ""
    key: rsa.RSAPrivateKey = attrs.field(factory=lambda: rsa.generate_private_key(65537, 2048))
    other_key: rsa.RSAPrivateKey = attrs.field(
        factory=lambda: rsa.generate_private_key(65537, 2048))
    codes: dict[str, dict[str, Any]] = attrs.field(factory=dict)

    def id_token(self, grant: dict[str, Any]) -> str:
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": self.user["sub"], "aud": CLIENT_ID,
                  "iat": now, "exp": now + 300, "nonce": grant["nonce"],
                  "preferred_username": self.user["preferred_username"]}
        key = self.key
        match self.misbehave:
            case "wrong_key":
                key = self.other_key
            case "wrong_audience":
                claims["aud"] = "someone-else"
            case "wrong_nonce":
                claims["nonce"] = "not-the-nonce"
            case "expired":
                claims["iat"], claims["exp"] = now - 4000, now - 3600
            case "wrong_issuer":
                claims["iss"] = "https://evil.example"
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})

    def app(self) -> QuartTrio:
        app = QuartTrio(__name__)

        @app.get("/.well-known/openid-configuration")
        async def discovery() -> Response:
            return jsonify({
                "issuer": self.issuer, "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token", "jwks_uri": f"{self.issuer}/jwks",
                "userinfo_endpoint": f"{self.issuer}/userinfo",
                "response_types_supported": ["code"], "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
            })

        @app.get("/jwks")
        async def jwks() -> Response:
            return jsonify({"keys": [_jwk(self.key, "k1")]})

        @app.get("/authorize")
        async def authorize() -> Any:
            args = request.args
            if args.get("client_id") != CLIENT_ID or args.get("response_type") != "code":
                return Response("bad request", 400)
            code = secrets.token_urlsafe(16)
            self.codes[code] = dict(args)
            return redirect(f"{args['redirect_uri']}?code={code}&state={args['state']}")

        @app.post("/token")
        async def token() -> Any:
            auth = request.authorization
            if auth is None or (auth.username, auth.password) != (CLIENT_ID, CLIENT_SECRET):
                return jsonify({"error": "invalid_client"}), 401
            form = await request.form
            grant = self.codes.pop(form.get("code", ""), None)
            if grant is None or form.get("redirect_uri") != grant["redirect_uri"]:
                return jsonify({"error": "invalid_grant"}), 400
            verifier = form.get("code_verifier", "")
            challenge = base64.urlsafe_b64encode(
                hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if challenge != grant["code_challenge"]:
                return jsonify({"error": "invalid_grant", "why": "pkce"}), 400
            return jsonify({"access_token": "at-" + self.user["sub"], "token_type": "Bearer",
                            "id_token": self.id_token(grant)})

        @app.get("/userinfo")
        async def userinfo() -> Any:
            if request.headers.get("Authorization") != f"Bearer at-{self.user['sub']}":
                return jsonify({"error": "invalid_token"}), 401
            return jsonify(self.user)

        return app
