"""Credentials in URLs, connection strings and command lines: the span is the secret alone.

A redaction must keep the host, the user and the command readable, so every positive
checks the exact span; placeholders (``user:password@``, ``:****@``, ``${PASS}``) and
options that are not passwords (``-p 8080:80``, ``psql -p 5432``) are negatives.
"""

from __future__ import annotations

import pytest

from gateway.detect import DetectionEngine
from gateway.detect.recognizers.secrets.common import is_stand_in

SECRET = "Tr0ub4dor3xQ"
TOKEN = "a1B2c3D4e5F6g7H8i9J0kLmN"


@pytest.fixture(scope="module")
def engine() -> DetectionEngine:
    return DetectionEngine()


def _reported(engine: DetectionEngine, text: str) -> set[tuple[str, str]]:
    return {(f.entity_type, text[f.start : f.end]) for f in engine.scan(text) if f.score >= 0.5}


@pytest.mark.parametrize(
    ("text", "entity", "value"),
    [
        (f"https://alice:{SECRET}@git.example.com/repo.git", "SECRET_URL_CREDENTIALS", SECRET),
        (f"ftp://deploy:{SECRET}@files.example.com/pub", "SECRET_URL_CREDENTIALS", SECRET),
        (f"smtp://mailer:{SECRET}@smtp.example.com:587", "SECRET_URL_CREDENTIALS", SECRET),
        (f"git clone https://{TOKEN}@github.com/org/repo.git", "SECRET_URL_CREDENTIALS", TOKEN),
        (f"postgres://app:{SECRET}@db.internal:5432/crm", "SECRET_DB_URL", SECRET),
        (f"mongodb+srv://svc:{SECRET}@cluster0.mongodb.net/app", "SECRET_DB_URL", SECRET),
        (f"redis://:{SECRET}@cache.local:6379/0", "SECRET_DB_URL", SECRET),
        (f"amqp://rabbit:{SECRET}@mq.local:5672/", "SECRET_DB_URL", SECRET),
        (f"운영 DB는 postgresql://app:{SECRET}@10.0.3.12/orders 입니다", "SECRET_DB_URL", SECRET),
        (
            f"jdbc:mysql://db.local:3306/app?user=app&password={SECRET}",
            "SECRET_DB_PASSWORD",
            SECRET,
        ),
        (
            f"Server=tcp:db.local,1433;Database=crm;User ID=sa;Password={SECRET};",
            "SECRET_DB_PASSWORD",
            SECRET,
        ),
        (f"curl -u admin:{SECRET} https://api.example.com/v1", "SECRET_CLI_PASSWORD", SECRET),
        (f"mysql -u root -p{SECRET} -h db.local", "SECRET_CLI_PASSWORD", SECRET),
        (f"sshpass -p '{SECRET}' ssh deploy@host", "SECRET_CLI_PASSWORD", SECRET),
        (f"PGPASSWORD={SECRET} psql -h db -U app", "SECRET_CLI_PASSWORD", SECRET),
        (f"SSHPASS={SECRET} sshpass -e ssh host", "SECRET_CLI_PASSWORD", SECRET),
        (f"docker login -u bot -p {SECRET} registry.example.com", "SECRET_CLI_PASSWORD", SECRET),
        (f"mysqldump --password={SECRET} app > dump.sql", "SECRET_CLI_PASSWORD", SECRET),
        (f"redis-cli -a {SECRET} -h cache", "SECRET_CLI_PASSWORD", SECRET),
    ],
)
def test_the_secret_alone_is_reported(
    engine: DetectionEngine, text: str, entity: str, value: str
) -> None:
    reported = _reported(engine, text)
    assert (entity, value) in reported, reported
    host_free = [found for _, found in reported if "@" in found or "example" in found]
    assert host_free == []


@pytest.mark.parametrize(
    "text",
    [
        "postgres://user:password@localhost/db",
        "https://user:****@example.com/x",
        "postgres://app:${DB_PASSWORD}@db/app",
        "mysql://root:%s@db/app",
        "https://admin:your_password@example.com",
        "amqp://guest:guest@localhost:5672/",
        "https://deploy@ci.example.com/job/7",
        "ssh://git@github.com/org/repo.git",
        "https://example.com:8443/path",
        "mysql -u root -p",
        "curl -u user:pass https://x.example.com",
        "docker run -p 8080:80 nginx",
        "psql -h db -p 5432 -U app",
        "ssh -p 2222 deploy@host",
    ],
)
def test_placeholders_and_other_options_are_not_credentials(
    engine: DetectionEngine, text: str
) -> None:
    assert _reported(engine, text) == set()


def test_a_vendor_token_in_a_url_is_reported_once_as_its_kind(engine: DetectionEngine) -> None:
    token = "glpat-" + "Xk9fQ2LmT7vR3pW8sZ1n"
    text = f"git clone https://oauth2:{token}@gitlab.example.com/o/r.git"
    assert _reported(engine, text) == {("SECRET_GITLAB_TOKEN", token)}


@pytest.mark.parametrize(
    ("value", "stand_in"),
    [
        ("password", True),
        ("Password", True),
        ("mypassword", True),
        ("db_pass", True),
        ("$PGPASS", True),
        ("{pw}", True),
        ("%(password)s", True),
        ("********", True),
        ("", True),
        (SECRET, False),
        ("%40Tr0ub4dor", False),  # a percent-encoded password is still one
    ],
)
def test_stand_ins(value: str, stand_in: bool) -> None:
    assert is_stand_in(value) is stand_in
