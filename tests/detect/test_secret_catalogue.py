"""One realistic positive per SECRET_* entity, negatives for the loose kinds, and placeholders.

Every token is generated here from a seeded RNG with the right shape: none is a real key,
and nothing in this file matches a repository secret scanner's literal pattern.
"""

from __future__ import annotations

import base64
import json
import random
import string

import pytest

from gateway.detect import DetectionEngine
from gateway.detect.recognizers.secrets import FACTORIES, TABLE_ENTITIES
from gateway.detect.recognizers.secrets.checksums import with_base62_crc32

_rng = random.Random(20240611)
ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"
URLSAFE = ALNUM + "_-"
B64 = ALNUM + "+/"


def rnd(alphabet: str, size: int) -> str:
    """Random string; retried until it has a digit, a lower and an upper where possible."""
    while True:
        value = "".join(_rng.choice(alphabet) for _ in range(size))
        wanted = [set(string.digits), set(string.ascii_lowercase), set(string.ascii_uppercase)]
        if all(not (cls & set(alphabet)) or cls & set(value) for cls in wanted):
            return value


def b64url(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


JWT = (
    ".".join(
        (b64url({"alg": "HS256", "typ": "JWT"}), b64url({"sub": "u-81", "exp": 1_900_000_000}))
    )
    + "."
    + rnd(URLSAFE, 43)
)
DISCORD_BOT = "M" + rnd(URLSAFE, 25) + "." + rnd(URLSAFE, 6) + "." + rnd(URLSAFE, 38)
GCP = (
    '{"type": "service_account", "project_id": "demo-41", "private_key_id": "'
    + rnd(HEX, 40)
    + '", "private_key": "-----BEGIN PRIVATE KEY-----\\n'
    + rnd(B64, 64)
    + '\\n-----END PRIVATE KEY-----\\n"}'
)
GCP_SPAN = GCP[1 : GCP.rindex('"') + 1]
AZURE_KEY = rnd(B64, 86) + "=="
AZURE_CONN = (
    f"DefaultEndpointsProtocol=https;AccountName=acct01;AccountKey={AZURE_KEY};"
    "EndpointSuffix=core.windows.net"
)
AZURE_AD = rnd(ALNUM, 3) + "8Q~" + rnd(ALNUM + "_~.-", 34)
DB_PASSWORD = rnd(ALNUM, 14)
GITHUB = with_base62_crc32("ghp_", rnd(ALNUM, 30))  # issued tokens carry the checksum
PASSWORD = "Tr0ub4dor&" + rnd(ALNUM, 4)
GENERIC = rnd(ALNUM, 40)

# (entity, text, reported value); "{v}" in the text is replaced by the value.
POSITIVES: list[tuple[str, str, str]] = [
    ("SECRET_AWS_ACCESS_KEY", "aws_access_key_id={v}", "AKIA" + rnd(string.ascii_uppercase, 16)),
    ("SECRET_AWS_SECRET_KEY", "aws_secret_access_key = {v}", rnd(B64, 40)),
    ("SECRET_OPENAI_KEY", "OPENAI_API_KEY={v}", "sk-proj-" + rnd(URLSAFE, 100)),
    ("SECRET_ANTHROPIC_KEY", "key {v}", "sk-ant-api03-" + rnd(URLSAFE, 93) + "AA"),
    ("SECRET_GITHUB_TOKEN", "token: {v}", GITHUB),
    ("SECRET_GOOGLE_API_KEY", "?key={v}&alt=json", "AIza" + rnd(URLSAFE, 35)),
    ("SECRET_SLACK_TOKEN", "SLACK={v}", "xoxb-" + rnd(string.digits, 11) + "-" + rnd(ALNUM, 24)),
    (
        "SECRET_PRIVATE_KEY",
        "{v}",
        "-----BEGIN EC PRIVATE KEY-----\n" + rnd(B64, 64) + "\n-----END EC PRIVATE KEY-----",
    ),
    (
        "SECRET_GITLAB_TOKEN",
        "git remote set-url origin https://oauth2:{v}@gitlab.com/a/b",
        "glpat-" + rnd(URLSAFE, 20),
    ),
    ("SECRET_GITLAB_TOKEN", "runner: {v}", "GR1348941" + rnd(URLSAFE, 20)),
    (
        "SECRET_NPM_TOKEN",
        "//registry.npmjs.org/:_authToken={v}",
        with_base62_crc32("npm_", rnd(ALNUM, 30)),
    ),
    ("SECRET_PYPI_TOKEN", "password = {v}", "pypi-AgEIcHlwaS5vcmc" + rnd(URLSAFE, 70)),
    ("SECRET_DOCKERHUB_TOKEN", "docker login -p {v}", "dckr_pat_" + rnd(URLSAFE, 27)),
    (
        "SECRET_ATLASSIAN_TOKEN",
        "JIRA_TOKEN={v}",
        "ATATT3xFfGF0" + rnd(URLSAFE, 170) + "=" + rnd(HEX, 8).upper(),
    ),
    ("SECRET_HF_TOKEN", "HF_TOKEN={v}", "hf_" + rnd(string.ascii_letters, 34)),
    ("SECRET_GROQ_KEY", "{v}", "gsk_" + rnd(ALNUM, 52)),
    ("SECRET_XAI_KEY", "XAI_API_KEY={v}", "xai-" + rnd(ALNUM, 80)),
    ("SECRET_PERPLEXITY_KEY", "{v}", "pplx-" + rnd(ALNUM, 48)),
    ("SECRET_REPLICATE_TOKEN", "REPLICATE_API_TOKEN={v}", "r8_" + rnd(ALNUM, 37)),
    ("SECRET_DEEPSEEK_KEY", "DEEPSEEK_API_KEY={v}", "sk-" + rnd(HEX, 32)),
    ("SECRET_MISTRAL_KEY", "mistral api key: {v}", rnd(ALNUM, 32)),
    ("SECRET_COHERE_KEY", "CO_API_KEY={v}", rnd(ALNUM, 40)),
    ("SECRET_AZURE_CONNECTION_STRING", 'conn = "{v}"', AZURE_CONN),
    ("SECRET_AZURE_AD_CLIENT_SECRET", "client_secret={v}", AZURE_AD),
    ("SECRET_ALIBABA_ACCESS_KEY", "AccessKeyId: {v}", "LTAI" + rnd(ALNUM, 20)),
    ("SECRET_TENCENT_SECRET_ID", "SecretId={v}", "AKID" + rnd(ALNUM, 32)),
    ("SECRET_NAVER_CLOUD_KEY", "NCP_ACCESS_KEY={v}", "ncp_iam_" + rnd(ALNUM, 24)),
    ("SECRET_NAVER_CLOUD_KEY", "네이버 클라우드 access key {v} 입니다", rnd(ALNUM, 20)),
    ("SECRET_DIGITALOCEAN_TOKEN", "DO_TOKEN={v}", "dop_v1_" + rnd(HEX, 64)),
    ("SECRET_HEROKU_KEY", "HEROKU_API_KEY={v}", "HRKU-" + rnd(URLSAFE, 60)),
    (
        "SECRET_HEROKU_KEY",
        "heroku auth token: {v}",
        "-".join(rnd(HEX, n) for n in (8, 4, 4, 4, 12)),
    ),
    ("SECRET_CLOUDFLARE_TOKEN", "CLOUDFLARE_API_TOKEN={v}", rnd(URLSAFE, 40)),
    ("SECRET_VAULT_TOKEN", "VAULT_TOKEN={v}", "hvs." + rnd(URLSAFE, 90)),
    ("SECRET_STRIPE_KEY", "Stripe.api_key = '{v}'", "sk_live_" + rnd(ALNUM, 99)),
    ("SECRET_STRIPE_KEY", "{v}", "rk_test_" + rnd(ALNUM, 24)),
    ("SECRET_SHOPIFY_TOKEN", "X-Shopify-Access-Token: {v}", "shpat_" + rnd(HEX, 32)),
    ("SECRET_DATADOG_KEY", "DD_API_KEY={v}", rnd(HEX, 32)),
    ("SECRET_NEW_RELIC_KEY", "{v}", "NRAK-" + rnd(string.ascii_uppercase + string.digits, 27)),
    ("SECRET_LINEAR_KEY", "Authorization: {v}", "lin_api_" + rnd(ALNUM, 40)),
    ("SECRET_NOTION_TOKEN", "NOTION_TOKEN={v}", "ntn_" + rnd(string.digits, 11) + rnd(ALNUM, 35)),
    ("SECRET_OKTA_TOKEN", "Authorization: SSWS {v}", "00" + rnd(URLSAFE, 40)),
    (
        "SECRET_SLACK_WEBHOOK",
        "curl -X POST {v} -d @msg.json",
        "https://hooks.slack.com/services/T"
        + rnd(string.ascii_uppercase + string.digits, 8)
        + "/B"
        + rnd(string.ascii_uppercase + string.digits, 10)
        + "/"
        + rnd(ALNUM, 24),
    ),
    (
        "SECRET_DISCORD_WEBHOOK",
        "webhook_url: {v}",
        "https://discord.com/api/webhooks/" + rnd(string.digits, 18) + "/" + rnd(URLSAFE, 68),
    ),
    ("SECRET_DISCORD_BOT_TOKEN", "discord bot token = {v}", DISCORD_BOT),
    (
        "SECRET_TELEGRAM_BOT_TOKEN",
        "bot{v}/sendMessage",
        rnd(string.digits, 10) + ":AA" + rnd(URLSAFE, 33),
    ),
    ("SECRET_TWILIO_KEY", "TWILIO_API_KEY={v}", "SK" + rnd(HEX, 32)),
    ("SECRET_SENDGRID_KEY", "{v}", "SG." + rnd(URLSAFE, 22) + "." + rnd(URLSAFE, 43)),
    ("SECRET_MAILGUN_KEY", "api:{v}", "key-" + rnd(HEX, 32)),
    ("SECRET_KAKAO_REST_KEY", "카카오 REST API 키: {v}", rnd(HEX, 32)),
    ("SECRET_JWT", "Authorization: Bearer {v}", JWT),
    # URL credentials: the span is the password alone, never the host
    (
        "SECRET_DB_URL",
        "DATABASE_URL=postgresql://app_user:{v}@db.internal:5432/orders",
        DB_PASSWORD,
    ),
    ("SECRET_DB_URL", "mongodb+srv://svc:{v}@cluster0.mongodb.net/app", DB_PASSWORD),
    ("SECRET_URL_CREDENTIALS", "https://deploy:{v}@ci.example.com/job/7", DB_PASSWORD),
    ("SECRET_URL_CREDENTIALS", "git clone https://{v}@git.example.com/o/r.git", GENERIC),
    ("SECRET_GCP_SERVICE_ACCOUNT", "{{" + GCP[1:-1] + "}}", GCP_SPAN),
    ("SECRET_PASSWORD", "password={v}", PASSWORD),
    ("SECRET_PASSWORD", '{{"password": "{v}"}}', PASSWORD),
    ("SECRET_PASSWORD", "DB 비밀번호: {v}", PASSWORD),
    ("SECRET_PASSWORD", "비번은 {v}이고 내일 바꿀게요", PASSWORD),
    ("SECRET_PASSWORD", "패스워드={v}", PASSWORD),
    ("SECRET_GENERIC_API_KEY", 'api_key = "{v}"', GENERIC),
    ("SECRET_GENERIC_API_KEY", "X-Auth-Token: {v}", GENERIC),
]


@pytest.fixture(scope="module")
def engine() -> DetectionEngine:
    return DetectionEngine(list(FACTORIES))


def _reported(engine: DetectionEngine, text: str) -> set[tuple[str, str]]:
    return {(f.entity_type, text[f.start : f.end]) for f in engine.scan(text) if f.score >= 0.5}


def test_catalogue_size() -> None:
    assert len(FACTORIES) >= 40
    assert all(name.startswith("SECRET_") for name in FACTORIES)


def test_every_entity_has_a_positive() -> None:
    # Rows of credentials.yaml get theirs in test_credential_table.py.
    assert {entity for entity, _, _ in POSITIVES} == set(FACTORIES) - TABLE_ENTITIES


@pytest.mark.parametrize(("entity", "text", "value"), POSITIVES)
def test_positive(engine: DetectionEngine, entity: str, text: str, value: str) -> None:
    text = text.replace("{v}", value).replace("{{", "{").replace("}}", "}")
    assert (entity, value) in _reported(engine, text)


@pytest.mark.parametrize(("entity", "text", "value"), POSITIVES)
def test_positive_alone_per_entity(entity: str, text: str, value: str) -> None:
    """Each recognizer works when it is the only one built (no shared-gate dependency)."""
    text = text.replace("{v}", value).replace("{{", "{").replace("}}", "}")
    assert (entity, value) in _reported(DetectionEngine([entity]), text)


def test_korean_particles_touch_the_token(engine: DetectionEngine) -> None:
    text = f"토큰은{GITHUB}이고 비밀번호는 {PASSWORD}입니다"
    found = _reported(engine, text)
    assert ("SECRET_GITHUB_TOKEN", GITHUB) in found
    assert ("SECRET_PASSWORD", PASSWORD) in found


def test_vendor_kinds_are_not_reported_twice(engine: DetectionEngine) -> None:
    for text in (f"api_key={GITHUB}", f"token: {JWT}", f"client_secret={AZURE_AD}"):
        assert not any(e == "SECRET_GENERIC_API_KEY" for e, _ in _reported(engine, text)), text


@pytest.mark.parametrize(
    "text",
    [
        # Loose kinds: words, identifiers, code references and templates are not secrets.
        "password = request.form.password",
        "password: Optional[str] = None",
        "비밀번호를 잊어버렸어요. 재설정 방법 알려줘",
        "the password is required",
        "password=changeme",
        "password: '********'",
        "password=<password>",
        "DB_PASSWORD=${DB_PASSWORD}",
        "api_key = get_api_key_from_environment_variables",
        "token = session.get('csrf_state_for_this_request_12')",
        "secret = 'aaaaaaaaaaaaaaaaaaaaaaaa1'",
        "api_key = 'YOUR_API_KEY_GOES_HERE_123'",
        "postgres://user:password@localhost:5432/db",
        "postgresql://app:<password>@db:5432/app",
        "mysql://root:${MYSQL_ROOT_PASSWORD}@mysql/app",
        "redis://localhost:6379/0",
        "https://user:pass@example.com",
        # Context kinds need their vendor name nearby.
        f"checksum {rnd(HEX, 32)} ok",
        f"uuid {'-'.join(rnd(HEX, n) for n in (8, 4, 4, 4, 12))}",
        f"build {rnd(ALNUM, 40)}",
        # Shapes that are close but wrong.
        "eyJhbGciOiJIUzI1NiJ9.notbase64json.sig",
        "eyJub3RoaW5nIjoxfQ.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",  # header without "alg"
        "sk-" + rnd(HEX, 32),  # DeepSeek-shaped, but no vendor name: ambiguous
        "SKT 고객센터 SK하이닉스 task",
        "key-value store",
        "glpat-short",
        "Q~ 1Q~ shortQ~",
        "hooks.slack.com/services/Txxxx/Bxxxx/xxxx",
        "sk_live_" + "x" * 24,
        "npm_" + "X" * 36,
    ],
)
def test_negative(engine: DetectionEngine, text: str) -> None:
    assert _reported(engine, text) == set(), text


@pytest.fixture(scope="module")
def jwt_and_email() -> DetectionEngine:
    return DetectionEngine(["SECRET_JWT", "EMAIL_ADDRESS"])


_CLAIMS = {"sub": "u-81", "email": "minsu.kim@example.co.kr", "role": "admin"}


@pytest.mark.parametrize(
    "token",
    [
        b64url({"alg": "none", "typ": "JWT"}) + "." + b64url(_CLAIMS) + ".",
        b64url({"alg": "None"}) + "." + b64url(_CLAIMS) + ".",  # the case-bypass payload
        b64url({"alg": "none"}) + "." + b64url(_CLAIMS) + "." + rnd(URLSAFE, 43),
        b64url({"alg": "HS256", "typ": "JWT"}) + "." + b64url(_CLAIMS) + ".",  # cut off
    ],
    ids=["alg-none", "alg-None", "none-with-junk", "no-signature"],
)
def test_an_unsigned_jwt_is_no_secret_but_its_claims_are_scanned(
    jwt_and_email: DetectionEngine, token: str
) -> None:
    text = f"Authorization: Bearer {token}"
    found = _reported(jwt_and_email, text)
    assert not any(entity == "SECRET_JWT" for entity, _ in found), found
    # The address inside the decoded payload is reported, on the payload's span.
    assert "EMAIL_ADDRESS" in {entity for entity, _ in found}


def test_explain_says_why_an_unsigned_jwt_is_not_reported(engine: DetectionEngine) -> None:
    token = b64url({"alg": "none"}) + "." + b64url({"sub": "u-81"}) + "."
    reasons = [r.reason for r in engine.not_reported(f"token {token}")]
    assert any("unsigned" in reason for reason in reasons), reasons


def test_password_strength_scores(engine: DetectionEngine) -> None:
    [strong] = engine.scan(f"password={PASSWORD}")
    assert strong.score == 0.8
    [plain] = engine.scan("pwd=hunter22")
    assert plain.score == 0.6
    assert [f.score for f in engine.scan("password=hunterhunter")] == [0.45]
