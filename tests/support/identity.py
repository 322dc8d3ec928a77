"""A company identity provider (keys, tokens, a JWKS on loopback), a gateway configured
with an ``identity:`` section in front of a fake provider, and bare exchanges."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import orjson
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from gateway.exchange import Exchange
from gateway.providers.catalog import load_catalog
from tests.support.stack import GatewayStack, gateway_stack

__all__ = ["AUDIENCE", "INJECTED", "ISSUER", "Issuer", "JwksServer", "exchange", "identity_gateway"]

ISSUER = "https://login.example.test"
AUDIENCE = "haetae"
INJECTED = "provider-key-held-by-gateway"


class Issuer:
    """Signs tokens like the company's OIDC provider, with keys made for this test."""

    def __init__(self) -> None:
        self.keys: dict[str, Any] = {}
        self.add_rsa("rsa-1")

    def add_rsa(self, kid: str) -> None:
        self.keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def add_ec(self, kid: str) -> None:
        self.keys[kid] = ec.generate_private_key(ec.SECP256R1())

    def jwks(self) -> dict[str, Any]:
        out = []
        for kid, private in self.keys.items():
            algorithm = jwt.algorithms.RSAAlgorithm if kid.startswith("rsa") else None
            if algorithm is None:
                data = orjson.loads(jwt.algorithms.ECAlgorithm.to_jwk(private.public_key()))
            else:
                data = orjson.loads(algorithm.to_jwk(private.public_key()))
            data["kid"] = kid
            out.append(data)
        return {"keys": out}

    def token(
        self,
        user: str = "alice",
        groups: list[str] | None = None,
        *,
        kid: str = "rsa-1",
        expires_in: float = 300,
        **claims: Any,
    ) -> str:
        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": user,
            "groups": groups if groups is not None else ["eng"],
            "iat": now,
            "exp": now + int(expires_in),
        }
        payload.update(claims)
        payload = {k: v for k, v in payload.items() if v is not None}
        algorithm = "RS256" if kid.startswith("rsa") else "ES256"
        return jwt.encode(payload, self.keys[kid], algorithm=algorithm, headers={"kid": kid})


class JwksServer:
    """Serves the issuer's JWKS (pure ASGI), counting requests; can stall or fail."""

    def __init__(self, issuer: Issuer) -> None:
        self.issuer = issuer
        self.hits = 0
        self.delay = 0.0
        self.status = 200

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        self.hits += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        body = orjson.dumps(self.issuer.jwks()) if self.status == 200 else b"{}"
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


@contextlib.contextmanager
def identity_gateway(
    folder: Path, identity: dict[str, Any], *, passthrough: tuple[str, ...] = ()
) -> Iterator[GatewayStack]:
    """A gateway with ``identity`` settings; providers inject INJECTED except ``passthrough``."""
    settings: dict[str, Any] = {"identity": identity}
    for pid in load_catalog():
        if pid not in passthrough:
            settings[f"providers.{pid}.credentials.mode"] = "inject"
            settings[f"providers.{pid}.credentials.env"] = "PROVIDER_KEY"
    with gateway_stack(folder, settings=settings, environ={"PROVIDER_KEY": INJECTED}) as stack:
        yield stack


def exchange(
    headers: dict[str, str] | list[tuple[str, str]] | None = None,
    *,
    query: bytes = b"",
    address: str | None = "127.0.0.1",
    path: str = "/openai/v1/chat/completions",
) -> Exchange:
    """An exchange as the pipeline builds it (header names lower-case bytes)."""
    items = list(headers.items()) if isinstance(headers, dict) else list(headers or [])

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    return Exchange(
        request_id="test",
        method="POST",
        path=path,
        query=query,
        headers=[(k.lower().encode(), v.encode()) for k, v in items],
        client_address=address,
        receive=receive,
        policy=None,  # type: ignore[arg-type]  # identity never reads the policy
    )
