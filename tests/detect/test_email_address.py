"""E-mail addresses (EMAIL_ADDRESS): a URL's ``password@host`` is not one."""

from __future__ import annotations

import pytest

from gateway.detect import DetectionEngine
from gateway.detect.recognizers.generic import is_url_userinfo


@pytest.fixture(scope="module")
def engine() -> DetectionEngine:
    return DetectionEngine(["EMAIL_ADDRESS", "SECRET_DB_URL"])


def _found(engine: DetectionEngine, text: str) -> list[tuple[str, str]]:
    return [(f.entity_type, text[f.start : f.end]) for f in engine.scan(text) if f.score >= 0.5]


@pytest.mark.parametrize(
    "text",
    [
        "DATABASE_URL=postgres://app:Cwfbxdm64uQ@db.internal.acme-corp.co.kr:5432/crm",
        "운영 DB 주소는 mongodb+srv://app:jqHGaoZKOPTDWXLWr@prod-db-1.acme-corp.io/orders 입니다",
        'create_engine("mssql://root:z3Mo4OZ1Oxb@sql.acme-corp.co.kr:1433/orders")',
    ],
)
def test_database_url_is_a_secret_not_an_address(engine: DetectionEngine, text: str) -> None:
    found = _found(engine, text)
    assert [entity for entity, _ in found] == ["SECRET_DB_URL"], found


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("ssh://git@github.com/org/repo.git 로 클론해줘", None),  # a user name, no address
        ("https://deploy@ci.example.com/job/7", None),
        # A user name that is itself an address (decoded %40) is still one.
        ("smtp://kim%40example.com:pw1234@smtp.example.com:587", "kim%40example.com"),
        ("mailto:kim@example.com", "kim@example.com"),
        ("postgres://app:pw@db.example.com 담당자 admin@example.com", "admin@example.com"),
        ("문의: https://example.com/contact?to=help@example.com", "help@example.com"),
    ],
)
def test_addresses_near_urls(engine: DetectionEngine, text: str, address: str | None) -> None:
    emails = [value for entity, value in _found(engine, text) if entity == "EMAIL_ADDRESS"]
    if address is None:
        assert emails == []
    else:
        assert len(emails) == 1 and emails[0].endswith(address), emails


def test_userinfo_rule() -> None:
    text = "x postgres://u:pw@db.example.com/x y@z.com"
    at = text.index("pw@")
    assert is_url_userinfo(text, at, text.index("/x"))
    assert not is_url_userinfo(text, text.index("y@"), len(text))
