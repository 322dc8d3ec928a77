import pytest

from gateway.detect import Finding
from gateway.detect.redact import redact_text


def f(entity: str, start: int, end: int, score: float = 0.9) -> Finding:
    return Finding(entity, start, end, score, "test")


@pytest.mark.parametrize(
    ("text", "findings", "expected"),
    [
        ("no findings", [], "no findings"),
        ("mail a@b.co now", [f("EMAIL_ADDRESS", 5, 11)], "mail <EMAIL_ADDRESS> now"),
        (
            "a@b.co and c@d.co",
            [f("EMAIL_ADDRESS", 11, 17), f("EMAIL_ADDRESS", 0, 6)],
            "<EMAIL_ADDRESS> and <EMAIL_ADDRESS>",
        ),
        (
            "id 900101-1234568.",
            [f("KR_RRN", 3, 17, 1.0), f("CREDIT_CARD", 5, 17, 0.6)],
            "id <KR_RRN>.",
        ),
        ("xxxxxxxx", [f("A", 0, 4, 0.5), f("B", 2, 8, 0.9)], "<B>"),
    ],
)
def test_redact_text(text: str, findings: list[Finding], expected: str) -> None:
    assert redact_text(text, findings) == expected
