"""Query strings: values are scanned, credentials never, vocabulary only when it is not."""

from __future__ import annotations

import pytest

from gateway.providers.dialect import UninspectableContent
from gateway.providers.query import query_segments, rewrite_query


def located(query: bytes, **options: bool) -> list[tuple[str, str, int | str]]:
    return [
        (s.location, s.text, s.path[1])
        for s in query_segments(query, **options)
        if s.form != "url"  # parameter names: test_parameter_names_are_scan_only
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (b"", []),
        (b"note=hello+kim%40corp.kr", [("?*", "hello kim@corp.kr", 0)]),
        (b"key=AIzaSyD-secret&alt=sse&note=x", [("?*", "x", 2)]),
        (b"KEY=AIza&api_key=sk-1&access_token=t", []),  # credentials, any case
        (b"api-version=2024-10-21&beta=true&$.xgafv=2", []),
        (b"api-version=2024-10-21-preview&alt=v1beta", []),
        (b"alt=kim%40corp.kr", [("?alt", "kim@corp.kr", 0)]),  # not vocabulary: scanned
        (b"api-version=900101-1234568", [("?api-version", "900101-1234568", 0)]),
        (b"alt=x900101-1234568", [("?alt", "x900101-1234568", 0)]),
        (b"debug&n=", [("?*", "debug", 0)]),  # a bare flag reaches the provider too
        (b"%EC%A3%BC%EB%AF%BC=1", [("?*", "1", 0)]),
    ],
)
def test_segments(query: bytes, expected: list[tuple[str, str, int]]) -> None:
    assert located(query) == expected


def test_parameter_names_are_scan_only_and_never_located_by_their_text() -> None:
    segments = query_segments(b"900101-1234568=1&alt=sse&limit=3&kim%40corp.kr")
    assert [(s.form, s.text, s.location) for s in segments] == [
        ("url", "900101-1234568", "?*"),
        ("query", "1", "?*"),
        ("query", "3", "?limit"),
        ("query", "kim@corp.kr", "?*"),  # a bare flag: its name is its value (editable)
    ]


def test_credentials_are_scanned_only_when_the_callers_own_go_upstream() -> None:
    query = b"api_key=900101-1234568&KEY=x"
    assert located(query) == []  # injected: stripped before forwarding, never scanned
    assert [
        (s.form, s.text, s.location) for s in query_segments(query, credentials_forwarded=True)
    ] == [
        ("credential", "900101-1234568", "?api_key"),
        ("credential", "x", "?KEY"),
    ]


def test_rewrite_touches_only_the_edited_parameters() -> None:
    query = b"key=AIza%2Bx&note=mail+kim%40corp.kr&alt=sse&tag=a%20b"
    (note, tag) = [s for s in query_segments(query) if s.form == "query"]
    rewritten = rewrite_query(query, {int(note.path[1]): "mail <EMAIL_ADDRESS>"})
    assert rewritten == b"key=AIza%2Bx&note=mail+%3CEMAIL_ADDRESS%3E&alt=sse&tag=a%20b"
    assert [s.text for s in query_segments(rewritten) if s.form == "query"] == [
        "mail <EMAIL_ADDRESS>",
        tag.text,
    ]


def test_a_bare_flag_is_rewritten_whole() -> None:
    assert rewrite_query(b"a=1&kim%40corp.kr", {1: "<EMAIL_ADDRESS>"}) == (
        b"a=1&%3CEMAIL_ADDRESS%3E"
    )


def test_a_query_that_is_not_utf8_is_refused() -> None:
    with pytest.raises(UninspectableContent, match="not UTF-8"):
        query_segments(b"note=%FF%FE")
