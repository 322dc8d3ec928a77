"""Every row of credentials.yaml finds the tokens it describes, in the entity it names,
and only those: a value generated from each row's own regex is found; the same value
fused to a word, mistyped where a checksum guards it, or left a placeholder is not."""

from __future__ import annotations

import hashlib
import re
import string
from importlib import resources

import pytest
import yaml

from gateway.detect import DetectionEngine
from gateway.detect.recognizers.secrets.checksums import base62_crc32, bech32
from gateway.detect.recognizers.secrets.table import FORMATS, CredentialFormat, load_formats
from gateway.detect.recognizers.secrets.tokens import looks_like_placeholder
from tests.detect.regex_sample import sample

ENGINE = DetectionEngine()
ROWS = {row.id: row for row in FORMATS}


_TABLE = resources.files("gateway.detect.recognizers.secrets").joinpath("credentials.yaml")
ENTRIES = {entry["id"]: entry for entry in yaml.safe_load(_TABLE.read_text("utf-8"))}


def _entropy(value: str) -> float:
    import math
    from collections import Counter

    return -sum(n / len(value) * math.log2(n / len(value)) for n in Counter(value).values())


def _generated(row: CredentialFormat, seed: int) -> tuple[str, str]:
    """(text, the value a finding must cover) for one row, from the row's own regex.

    Drawn again (next seed) while the draw is a placeholder or too regular for the row.
    """
    entry = ENTRIES[row.id]
    for attempt in range(50):
        rng_seed = seed * 1000 + attempt
        if row.shape == "prefix":
            value = row.literals[seed % len(row.literals)] + sample(entry["body"], rng_seed)
            text = f"the token is {value} ok"
        elif row.shape == "keyword":
            keyword = row.literals[seed % len(row.literals)]
            value = sample(entry["value"], rng_seed)
            # "code=" and "token:" carry their own separator; a bare name gets one
            text = f"{keyword}{value}\n" if keyword[-1] in ":=>" else f"{keyword} = {value}\n"
        else:
            value = sample(entry["pattern"], rng_seed)
            text = f"see {value} here"
        if row.min_entropy and _entropy(value) < row.min_entropy:
            continue
        if row.placeholder_check and looks_like_placeholder(value):
            continue
        return text, value
    raise AssertionError(f"{row.id}: no usable sample in 50 draws")


#: rows whose regex hypothesis cannot generate from (``\K`` keeps part of the match
#: out of the finding); their positives are written out below
HANDWRITTEN = {
    "netrc-password": ("machine git.corp.example login kim password Qx7-pz!9Lm2", "Qx7-pz!9Lm2"),
    "jdbc-password-parameter": (
        "jdbc:postgresql://db.corp:5432/app?user=svc&password=Zt8_qP3vLm#2",
        "Zt8_qP3vLm#2",
    ),
    "odbc-connection-password": (
        "Server=tcp:sql.corp,1433;Database=ledger;User ID=svc;Password=Rk4!mZp9Qw;",
        "Rk4!mZp9Qw",
    ),
    "curl-basic-auth": ("curl -u deploy:Vq8zT2!xLp https://ci.corp/api", "Vq8zT2!xLp"),
    "cli-password-flag": ("mysql -h db.corp -u root -pHn3$kQz81w ledger", "Hn3$kQz81w"),
    "cli-password-environment": ("SSHPASS='Vq8zT2!xLp' sshpass -e ssh ci.corp", "Vq8zT2!xLp"),
    "maven-settings-password": (
        "<server><id>corp</id><username>ci</username><password>Zx8!qLm29Vt</password></server>",
        "Zx8!qLm29Vt",
    ),
    "npmrc-auth-token": (
        "//npm.corp.example/:_authToken=Qm9vV2x7YXp0ZkRlcHZ5Tk1zaWdu",
        "Qm9vV2x7YXp0ZkRlcHZ5Tk1zaWdu",
    ),
    # percent-encoding: a generated "%Zq" is not what Azure writes
    "azure-storage-sas": (
        "https://acct.blob.core.windows.net/c?sv=2022-11-02&ss=b&srt=sco&sp=rl"
        "&se=2026-12-31T00:00:00Z&spr=https&sig=Xq1%2Bz9LmP4vRt7YbN2cK9dW3eHs6uQ0aVx8ZpT5yJk%3D",
        "sv=2022-11-02&ss=b&srt=sco&sp=rl&se=2026-12-31T00:00:00Z&spr=https"
        "&sig=Xq1%2Bz9LmP4vRt7YbN2cK9dW3eHs6uQ0aVx8ZpT5yJk%3D",
    ),
    "age-secret-key": ("", ""),  # built with its checksum below
    "discord-token-bare": ("", ""),
    "bitcoin-wif-key": ("", ""),
}
GENERATED = sorted(set(ROWS) - set(HANDWRITTEN))


def test_the_table_is_large_and_every_row_names_its_source() -> None:
    assert len(FORMATS) >= 200
    for row in FORMATS:
        assert row.source.startswith("https://"), row.id
        assert row.entity.startswith("SECRET_") and re.fullmatch(r"[A-Z0-9_]+", row.entity)


def _found(text: str, value: str, entity: str) -> bool:
    start = text.index(value)
    return any(
        f.entity_type == entity and f.start <= start and start + len(value) <= f.end
        for f in ENGINE.scan(text)
    )


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("row_id", GENERATED)
def test_a_token_made_from_each_row_is_found_as_its_entity(row_id: str, seed: int) -> None:
    row = ROWS[row_id]
    text, value = _generated(row, seed)
    assert _found(text, value, row.entity), (row_id, text)


@pytest.mark.parametrize("row_id", [r.id for r in FORMATS if r.shape == "prefix"])
def test_a_prefix_fused_to_a_word_is_not_a_token(row_id: str) -> None:
    row = ROWS[row_id]
    sample = row.literals[0] + "Q7x" * 40
    assert not any(
        f.entity_type == row.entity for f in ENGINE.scan(f"zzz{sample[:200]}") if f.start == 0
    )


@pytest.mark.parametrize(
    "row_id", sorted(set(HANDWRITTEN) - {"age-secret-key", "bitcoin-wif-key", "discord-token-bare"})
)
def test_handwritten_positives(row_id: str) -> None:
    text, value = HANDWRITTEN[row_id]
    assert _found(text, value, ROWS[row_id].entity)


_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _bech32_encode(hrp: str, data: list[int]) -> str:
    def polymod(values: list[int]) -> int:
        generator = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
        checksum = 1
        for value in values:
            top = checksum >> 25
            checksum = (checksum & 0x1FFFFFF) << 5 ^ value
            for bit, term in enumerate(generator):
                checksum ^= term if (top >> bit) & 1 else 0
        return checksum

    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    mod = polymod(expanded + data + [0] * 6) ^ 1
    check = [(mod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_BECH32[d] for d in data + check)


def test_age_keys_are_findings_only_with_a_valid_checksum() -> None:
    data = [(i * 7 + 3) % 32 for i in range(52)]
    key = _bech32_encode("age-secret-key-", data).upper()
    assert bech32(key) and len(key) == len("AGE-SECRET-KEY-1") + 58
    assert _found(f"key: {key}", key, "SECRET_AGE_KEY")
    typo = key[:-1] + ("Q" if key[-1] != "Q" else "P")
    assert not bech32(typo)
    assert not any(f.entity_type == "SECRET_AGE_KEY" for f in ENGINE.scan(f"key: {typo}"))


def _base58check(payload: bytes) -> str:
    alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    raw = payload + hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    number, out = int.from_bytes(raw, "big"), ""
    while number:
        number, digit = divmod(number, 58)
        out = alphabet[digit] + out
    return out


def test_bitcoin_wif_keys_need_their_checksum() -> None:
    secret = hashlib.sha256(b"haetae test wallet").digest()
    wif = _base58check(b"\x80" + secret + b"\x01")  # compressed: starts with K or L
    assert wif[0] in "KL" and len(wif) == 52
    assert _found(f"bitcoin privkey {wif}", wif, "SECRET_CRYPTO_WALLET_KEY")
    broken = wif[:-2] + ("z" if wif[-2] != "z" else "y") + wif[-1]
    assert not any(
        f.entity_type == "SECRET_CRYPTO_WALLET_KEY"
        for f in ENGINE.scan(f"bitcoin privkey {broken}")
    )


def test_github_and_npm_checksums() -> None:
    alphabet = string.digits + string.ascii_uppercase + string.ascii_lowercase
    import zlib

    def token(prefix: str, random_part: str) -> str:
        crc, digits = zlib.crc32(random_part.encode()), ""
        while crc:
            crc, d = divmod(crc, 62)
            digits = alphabet[d] + digits
        return prefix + random_part + digits.rjust(6, "0")

    github = token("ghp_", "Zq81LmX0aPv4Rt7YbN2cK9dW3eHs6u")
    assert base62_crc32(github) and len(github) == 40
    assert base62_crc32(token("npm_", "Rb7Kd2Wq9LmZx4Pt8Vc1Ny6Hs3Jf0u"))
    assert not base62_crc32(github[:-1] + ("a" if github[-1] != "a" else "b"))


def test_a_bad_row_stops_loading_with_its_id() -> None:
    with pytest.raises(ValueError, match="broken-row"):
        load_formats("- {id: broken-row, entity: SECRET_X, vendor: X, source: https://x}")
    with pytest.raises(ValueError, match="SECRET_"):
        load_formats(
            "- {id: named-badly, entity: TOKEN, vendor: X, source: https://x, prefix: a_, body: x}"
        )


def test_a_discord_token_needs_no_keyword_when_its_first_part_is_a_snowflake() -> None:
    import base64

    head = base64.urlsafe_b64encode(b"1187204331640193024").decode().rstrip("=")
    token = f"{head}.GkQ2xv.Zq81LmX0aPv4Rt7YbN2cK9dW3eHs6uJf0VzB"
    assert _found(f"bot = {token}", token, "SECRET_DISCORD_BOT_TOKEN")
    # the same shape whose first part is not an id is a random dotted string
    lookalike = "MZq81LmX0aPv4Rt7YbN2cK9dW3e.GkQ2xv.Zq81LmX0aPv4Rt7YbN2cK9dW3eHs6uJf0VzB"
    assert not any(f.entity_type.startswith("SECRET_DISCORD") for f in ENGINE.scan(lookalike))
