"""Cost of the identify stage, against baselines measured in the same run.

    PYTHONPATH=. python tests/identity/bench_identity.py

Prints CPU µs per request (process time, since the machine may be shared) for
each identity method next to building the exchange alone (what every request
costs anyway) and bare ``jwt.decode`` (the floor of a first token
verification). Not collected by pytest: timings are not assertions.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

import jwt
import orjson

from gateway.identity import Identify
from gateway.identity.api_keys import KeyFile
from gateway.settings import IdentitySettings
from tests.support.identity import AUDIENCE, ISSUER, Issuer, exchange

HEADERS = {
    "content-type": "application/json",
    "user-agent": "OpenAI/Python 1.52.0",
    "accept": "application/json",
    "x-stainless-lang": "python",
    "host": "gateway",
    "content-length": "100",
}


async def per_request(identify: Identify | None, headers: dict[str, str], n: int) -> float:
    began = time.process_time()
    for _ in range(n):
        ex = exchange(headers)
        if identify is not None:
            await identify(ex)
    return (time.process_time() - began) / n * 1e6


def main() -> None:
    folder = Path(tempfile.mkdtemp())
    keys = KeyFile(folder / "keys.jsonl")
    for i in range(1000):
        keys.create(f"user{i}", ["staff"])
    key, _ = keys.create("alice", ["eng"])
    issuer = Issuer()
    (folder / "jwks.json").write_bytes(orjson.dumps(issuer.jwks()))
    jwt_settings = {"issuer": ISSUER, "audience": AUDIENCE, "jwks_file": str(folder / "jwks.json")}
    cases = [
        ("anonymous, nothing configured", {}, {}),
        (
            "trusted proxy headers",
            {"trusted_headers": {"proxies": ["127.0.0.0/8"]}},
            {"x-forwarded-user": "alice", "x-forwarded-groups": "eng,legal"},
        ),
        (
            "gateway key (1,001 in the file)",
            {"api_keys": {"file": str(folder / "keys.jsonl")}},
            {"authorization": f"Bearer {key}"},
        ),
        ("token, remembered", {"jwt": jwt_settings}, {"authorization": f"Bearer {issuer.token()}"}),
    ]
    n = 20_000
    baseline = asyncio.run(per_request(None, HEADERS, n))
    print(f"| case | µs/request | stage alone µs | × baseline ({baseline:.1f} µs: exchange only) |")
    print("| --- | ---: | ---: | ---: |")
    for name, settings, extra in cases:
        identify = Identify(IdentitySettings.model_validate(settings))
        total = asyncio.run(per_request(identify, HEADERS | extra, n))
        print(f"| {name} | {total:.1f} | {total - baseline:.1f} | {total / baseline:.2f} |")

    tokens = [issuer.token(f"user{i}") for i in range(1000)]
    public = issuer.keys["rsa-1"].public_key()
    began = time.process_time()
    for token in tokens:
        jwt.decode(token, public, algorithms=["RS256"], audience=AUDIENCE, issuer=ISSUER)
    bare = (time.process_time() - began) / len(tokens) * 1e6
    identify = Identify(IdentitySettings.model_validate({"jwt": jwt_settings}))
    assert identify.verifier is not None

    async def first_verifications() -> float:
        began = time.process_time()
        for token in tokens:
            await identify.verifier.verify(token)  # type: ignore[union-attr]
        return (time.process_time() - began) / len(tokens) * 1e6

    first = asyncio.run(first_verifications())
    print(f"\n| token, first verification | {first:.1f} µs | bare jwt.decode {bare:.1f} µs |")
    print(f"| ratio | {first / bare:.2f} | |")


if __name__ == "__main__":
    main()
