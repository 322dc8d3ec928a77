"""Generators of secrets (API keys, tokens, keys, passwords) and confidentiality markers.

Shapes follow what each vendor issues today (prefix, alphabet, length), so a recognizer
tuned to real tokens is scored on realistic input; the values themselves are random.
"""

from __future__ import annotations

import base64
import json
import random
import string
from collections.abc import Callable

from gateway.detect.recognizers.secrets.checksums import with_base62_crc32

__all__ = ["SECRET_GENERATORS", "SECRET_PART"]

_B64 = string.ascii_letters + string.digits + "+/"
_B64URL = string.ascii_letters + string.digits + "-_"
_ALNUM = string.ascii_letters + string.digits


def _pick(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _num(rng: random.Random, n: int) -> str:
    return _pick(rng, string.digits, n)


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _jwt(rng: random.Random) -> str:
    alg = rng.choice(("HS256", "RS256"))
    claims = {
        "sub": str(rng.randint(10**5, 10**9)),
        "name": rng.choice(("minsu", "sora", "jpark", "eunji")),
        "iat": rng.randint(1_600_000_000, 1_750_000_000),
    }
    compact = (",", ":")
    header = {"alg": alg, "typ": "JWT"}
    parts = [json.dumps(o, separators=compact).encode() for o in (header, claims)]
    signature = rng.randbytes(32 if alg == "HS256" else 256)
    return ".".join([*(_b64url(p) for p in parts), _b64url(signature)])


def _private_key(rng: random.Random) -> str:
    label = rng.choice(("RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY"))
    body = base64.b64encode(rng.randbytes(rng.choice((120, 240, 480)))).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "\n".join([f"-----BEGIN {label}-----", *lines, f"-----END {label}-----"])


_DB_HOSTS = (
    "db.internal",
    "10.0.3.12",
    "prod-db-1.c9akciq32.ap-northeast-2.rds.amazonaws.com",
    "mongo0.corp.local",
    "cache.svc.cluster.local",
)


def _db_url(rng: random.Random) -> str:
    scheme, port = rng.choice(
        (
            ("postgresql", 5432),
            ("postgres", 5432),
            ("mysql", 3306),
            ("mongodb+srv", 0),
            ("redis", 6379),
            ("mssql", 1433),
        )
    )
    user = rng.choice(("admin", "app", "svc_billing", "root", "haetae"))
    host = rng.choice(_DB_HOSTS) + (f":{port}" if port else "")
    database = rng.choice(("prod", "orders", "crm"))
    return f"{scheme}://{user}:{_pick(rng, _ALNUM, rng.randint(10, 20))}@{host}/{database}"


def _password(rng: random.Random) -> str:
    if rng.random() < 0.3:
        word = rng.choice(("Haetae", "Summer", "qwer", "Seoul", "Dragon", "Welcome"))
        return f"{word}{rng.randint(1, 2025)}{rng.choice('!@#$')}"
    return _pick(rng, _ALNUM + "!#$%^*", rng.randint(10, 18))


#: Classification markings as written on documents (see docs/detection.md for the
#: definition): labels, headers, footers and handling caveats. The concept words (기밀성,
#: confidentiality, 기밀 유지) are hard negatives, never markers.
_MARKERS = (
    "대외비",
    "사내 기밀",
    "극비",
    "기밀",
    "사내한정",
    "사외비",
    "Ⅱ급비밀",
    "3급 비밀",
    "사외 유출 금지",
    "CONFIDENTIAL",
    "Confidential",
    "INTERNAL USE ONLY",
    "For Internal Use Only",
    "Strictly Confidential",
    "STRICTLY CONFIDENTIAL",
    "Highly Confidential",
    "Internal Only",
    "Proprietary and Confidential",
    "TOP SECRET",
)


def _token(
    prefix: str, alphabet: str, size: int, suffix: str = ""
) -> Callable[[random.Random], str]:
    return lambda rng: prefix + _pick(rng, alphabet, size) + suffix


def _openai(rng: random.Random) -> str:
    form = rng.randrange(3)
    if form == 0:
        return f"sk-{_pick(rng, _ALNUM, 20)}T3BlbkFJ{_pick(rng, _ALNUM, 20)}"
    kind = "proj" if form == 1 else "svcacct"
    return f"sk-{kind}-{_pick(rng, _B64URL, 74)}T3BlbkFJ{_pick(rng, _B64URL, 74)}"


def _github(rng: random.Random) -> str:
    if rng.random() < 0.3:
        return f"github_pat_11{_pick(rng, _ALNUM, 20)}_{_pick(rng, _ALNUM, 59)}"
    # Issued tokens carry a CRC32 of their random part; without it they are not tokens.
    return with_base62_crc32(f"gh{rng.choice('pousr')}_", _pick(rng, _ALNUM, 30))


def _slack(rng: random.Random) -> str:
    kind = rng.choice("bpa")
    return f"xox{kind}-{_num(rng, 11)}-{_num(rng, 13)}-{_pick(rng, _ALNUM, 24)}"


def _bare(rng: random.Random) -> str:
    """A key of no known vendor: the shapes services issue (base62, base64, base64url,
    lower case and digits) at their usual lengths, pasted without a key name."""
    kind = rng.randrange(4)
    if kind == 0:
        return _pick(rng, _ALNUM, rng.choice((24, 32, 40, 48)))
    if kind == 1:
        return base64.b64encode(rng.randbytes(rng.choice((30, 32, 48, 64)))).decode()
    if kind == 2:
        return _b64url(rng.randbytes(rng.choice((24, 32))))
    return _pick(rng, string.ascii_lowercase + string.digits, rng.choice((32, 40)))


#: Where the secret sits inside a generated value, when it is a part (a URL's password):
#: the label covers that part, as the finding does.
SECRET_PART: dict[str, Callable[[str], tuple[int, int]]] = {
    "SECRET_DB_URL": lambda url: (url.index(":", url.index("://") + 3) + 1, url.rindex("@")),
}


SECRET_GENERATORS: dict[str, Callable[[random.Random], str]] = {
    "SECRET_AWS_ACCESS_KEY": lambda rng: (
        rng.choice(("AKIA", "ASIA")) + _pick(rng, string.ascii_uppercase + "234567", 16)
    ),
    "SECRET_AWS_SECRET_KEY": _token("", _B64, 40),
    "SECRET_GITHUB_TOKEN": _github,
    "SECRET_OPENAI_KEY": _openai,
    "SECRET_ANTHROPIC_KEY": _token("sk-ant-api03-", _B64URL, 93, "AA"),
    "SECRET_GOOGLE_API_KEY": _token("AIza", _B64URL, 35),
    "SECRET_SLACK_TOKEN": _slack,
    "SECRET_PRIVATE_KEY": _private_key,
    "SECRET_JWT": _jwt,
    "SECRET_DB_URL": _db_url,
    "SECRET_STRIPE_KEY": lambda rng: (
        rng.choice(("sk_live_", "rk_live_")) + _pick(rng, _ALNUM, rng.choice((24, 99)))
    ),
    "SECRET_GITLAB_TOKEN": _token("glpat-", _B64URL, 20),
    "SECRET_NPM_TOKEN": lambda rng: with_base62_crc32("npm_", _pick(rng, _ALNUM, 30)),
    "SECRET_HF_TOKEN": _token("hf_", string.ascii_letters, 34),
    "SECRET_PASSWORD": _password,
    "GENERIC_SECRET": _bare,
    "CONFIDENTIAL_MARKER": lambda rng: rng.choice(_MARKERS),
}
