"""Password assignments and IPv6 addresses that used to slip through."""

from __future__ import annotations

import pytest

from gateway.detect import DetectionEngine


@pytest.fixture(scope="module")
def engine() -> DetectionEngine:
    return DetectionEngine(entities=["SECRET_PASSWORD", "IP_ADDRESS"])


def _reported(engine: DetectionEngine, text: str, entity: str) -> list[str]:
    return [
        text[f.start : f.end]
        for f in engine.scan(text)
        if f.entity_type == entity and f.score >= 0.5
    ]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("login: admin / pw: Summer1393$", "Summer1393$"),
        ("PW=7pLD3itHWcNF6D", "7pLD3itHWcNF6D"),
        ("DB_PASSWORD=swrbahQbyirli\nDB_USER=app", "swrbahQbyirli"),
        ("비밀번호: MdzOGnGhobANJm\n로그인이 안 돼요", "MdzOGnGhobANJm"),
        ("The root password is KdOgqxUEwG - rotate it.", "KdOgqxUEwG"),
    ],
)
def test_passwords_are_reported(engine: DetectionEngine, text: str, value: str) -> None:
    assert _reported(engine, text, "SECRET_PASSWORD") == [value]


@pytest.mark.parametrize(
    "text",
    [
        "the password is incorrect",
        "The password is Forgotten again",
        "password = userPassword",
        "password: PASSWORD",
        "pw: changeme",
        "upwards: movement",
        "비밀번호는 8자 이상, 특수문자 포함으로 설정하세요",
    ],
)
def test_words_and_names_are_not_reported(engine: DetectionEngine, text: str) -> None:
    assert _reported(engine, text, "SECRET_PASSWORD") == []


@pytest.mark.parametrize(
    "address",
    ["2950:669c:e607:7936:a9eb:b50:9923:6baf", "fe80::1", "2001:db8::8a2e:370:7334"],
)
def test_ipv6_followed_by_hangul(engine: DetectionEngine, address: str) -> None:
    assert _reported(engine, f"서버 IP는{address}입니다", "IP_ADDRESS") == [address]
