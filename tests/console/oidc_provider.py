"""A small OpenID Connect provider for tests: its own RSA key, discovery, JWKS, an
authorization endpoint that signs in one configured user at once, and a token
endpoint that checks the PKCE verifier, the client and the redirect URI."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode

import jwt
import orjson
from cryptography.hazmat.primitives.asymmetric import rsa

CLIENT_ID = "haetae-console"
CLIENT_SECRET = "console-client-secret-0001"


@dataclass
class Grant:
    challenge: str
    nonce: str
    redirect: str


@dataclass
class OidcProvider:
    """Pure ASGI; ``issuer`` is set once it listens. ``user``/``groups``: who signs in."""

    user: str = "kim.auditor"
    groups: list[str] = field(default_factory=lambda: ["sec-audit"])
    issuer: str = ""
    nonce_override: str | None = None  # sign a wrong nonce into the ID token
    key: Any = field(default_factory=lambda: rsa.generate_private_key(65537, 2048))
    grants: dict[str, Grant] = field(default_factory=dict)
    token_requests: list[dict[str, str]] = field(default_factory=list)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        path = scope["path"]
        query = {k: v[0] for k, v in parse_qs(scope["query_string"].decode()).items()}
        if path == "/.well-known/openid-configuration":
            await _json(send, 200, {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
                "code_challenge_methods_supported": ["S256"],
            })  # fmt: skip
        elif path == "/jwks":
            jwk = orjson.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
            await _json(send, 200, {"keys": [jwk | {"kid": "test-1", "use": "sig"}]})
        elif path == "/authorize":
            assert query["response_type"] == "code" and query["client_id"] == CLIENT_ID
            assert query["code_challenge_method"] == "S256"
            code = secrets.token_urlsafe(16)
            self.grants[code] = Grant(
                query["code_challenge"], query["nonce"], query["redirect_uri"]
            )
            target = f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}"
            await send({"type": "http.response.start", "status": 302,
                        "headers": [(b"location", target.encode())]})  # fmt: skip
            await send({"type": "http.response.body", "body": b""})
        elif path == "/token":
            await self._token(scope, receive, send)
        else:
            await _json(send, 404, {"error": "not_found"})

    async def _token(self, scope: Any, receive: Any, send: Any) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        self.token_requests.append(form)
        headers = dict(scope["headers"])
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode())
        grant = self.grants.pop(form.get("code", ""), None)
        digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
        challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        if headers.get(b"authorization") != b"Basic " + expected:
            await _json(send, 401, {"error": "invalid_client"})
        elif (
            grant is None
            or grant.challenge != challenge
            or grant.redirect != form.get("redirect_uri")
        ):
            await _json(send, 400, {"error": "invalid_grant"})
        else:
            now = int(time.time())
            claims = {
                "iss": self.issuer, "aud": CLIENT_ID, "sub": f"id-{self.user}",
                "preferred_username": self.user, "groups": self.groups,
                "nonce": self.nonce_override or grant.nonce, "iat": now, "exp": now + 300,
            }  # fmt: skip
            token = jwt.encode(claims, self.key, "RS256", headers={"kid": "test-1"})
            await _json(send, 200, {"id_token": token, "access_token": "opaque",
                                    "token_type": "Bearer"})  # fmt: skip


async def _json(send: Any, status: int, data: Any) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json")]})  # fmt: skip
    await send({"type": "http.response.body", "body": orjson.dumps(data)})
