"""The model-free context enhancer's helpers: field names split into words."""

from __future__ import annotations

import pytest

from gateway.detect.context import field_names


@pytest.mark.parametrize(
    ("window", "names"),
    [
        ('{"name": "김민수", "account": "', ["name", "account"]),
        ("lookup?acct_no=", ["acct no"]),
        ("bankAccountNumber: ", ["bank account number"]),
        ("'deposit-account' = ", ["deposit account"]),
        ('{"계좌번호": "', ["계좌번호"]),
        ("HTTPServer.port=", ["httpserver port"]),
        ("My account is", []),  # free text has no key
        ("see https://example.com/x", ["https"]),  # a scheme reads as a key; harmless
    ],
)
def test_field_names(window: str, names: list[str]) -> None:
    assert field_names(window) == names
