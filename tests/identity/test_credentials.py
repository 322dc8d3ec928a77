"""Where a Haetae credential is found, and that it is removed from the request."""

from __future__ import annotations

import pytest

from gateway.identity.credentials import CredentialFinder
from gateway.identity.errors import Unauthenticated
from tests.support.identity import exchange

KEY = "hk_" + "A" * 43
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln"


def finder(provider_headers: bool = True, ours: bool = True) -> CredentialFinder:
    return CredentialFinder("X-Haetae-Key", provider_headers, lambda token: ours)


@pytest.mark.parametrize(
    ("header", "value", "kind", "place"),
    [
        ("x-haetae-key", KEY, "api_key", "X-Haetae-Key header"),
        ("x-haetae-key", f"Bearer {KEY}", "api_key", "X-Haetae-Key header"),
        ("x-haetae-key", JWT, "jwt", "X-Haetae-Key header"),
        ("authorization", f"Bearer {KEY}", "api_key", "Authorization header"),
        ("authorization", f"bearer {JWT}", "jwt", "Authorization header"),
        ("x-api-key", KEY, "api_key", "x-api-key header"),
        ("api-key", KEY, "api_key", "api-key header"),
        ("x-goog-api-key", KEY, "api_key", "x-goog-api-key header"),
    ],
)
def test_a_credential_is_found_and_removed(header, value, kind, place) -> None:
    ex = exchange({header: value, "content-type": "application/json"})
    (found,) = finder().take(ex)
    assert (found.kind, found.place) == (kind, place)
    assert found.value in (KEY, JWT)
    assert ex.headers == [(b"content-type", b"application/json")]


def test_a_key_in_the_query_is_removed_and_other_parameters_kept() -> None:
    ex = exchange(query=f"alt=sse&key={KEY}".encode())
    (found,) = finder().take(ex)
    assert (found.kind, found.place, found.value) == ("api_key", "?key= parameter", KEY)
    assert ex.query == b"alt=sse"


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("authorization", "Bearer sk-proj-abc"),
        ("authorization", "Basic dXNlcjpwYXNz"),
        ("x-api-key", "sk-ant-api03-abc"),
        ("x-goog-api-key", "AIzaSyD-abc"),
        ("authorization", f"Bearer {JWT}"),  # a JWT from another issuer: the provider's
    ],
)
def test_provider_credentials_are_left_alone(header, value) -> None:
    ex = exchange({header: value})
    assert finder(ours=False).take(ex) == []
    assert ex.headers == [(header.encode(), value.encode())]


def test_provider_headers_can_be_ignored_by_configuration() -> None:
    ex = exchange({"authorization": f"Bearer {KEY}"})
    assert finder(provider_headers=False).take(ex) == []
    assert ex.headers == [(b"authorization", f"Bearer {KEY}".encode())]


def test_the_dedicated_header_must_hold_a_credential() -> None:
    with pytest.raises(Unauthenticated, match="neither a Haetae key") as caught:
        finder().take(exchange({"x-haetae-key": "sk-proj-secret"}))
    assert "sk-proj-secret" not in caught.value.message


def test_two_different_credentials_are_refused() -> None:
    other = "hk_" + "B" * 43
    ex = exchange({"x-haetae-key": KEY, "authorization": f"Bearer {other}"})
    with pytest.raises(Unauthenticated, match="more than one Haetae credential") as caught:
        finder().take(ex)
    assert KEY not in caught.value.message and other not in caught.value.message


def test_the_same_key_in_two_places_is_one_credential() -> None:
    ex = exchange({"x-haetae-key": KEY, "x-api-key": KEY})
    assert {p.value for p in finder().take(ex)} == {KEY}
    assert ex.headers == []


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("authorization", f"Bearer\t{KEY}"),
        ("authorization", f"Bearer   {KEY}"),
        ("authorization", KEY),
    ],
)
def test_odd_spellings_of_a_bearer_key_are_still_taken(header, value) -> None:
    """A gateway key must never ride to the provider because of its whitespace."""
    ex = exchange({header: value})
    (found,) = finder().take(ex)
    assert found.value == KEY
    assert ex.headers == []


@pytest.mark.parametrize("query", [f"KEY={KEY}", f"key=%68k_{KEY[3:]}", f"%6Bey={KEY}"])
def test_encoded_or_capitalised_query_keys_are_taken(query: str) -> None:
    ex = exchange(query=f"alt=sse&{query}".encode())
    (found,) = finder().take(ex)
    assert found.value == KEY
    assert ex.query == b"alt=sse"


@pytest.mark.parametrize(
    ("header", "value"),
    [("authorization", f"Token {KEY}"), ("x-api-key", f"Bearer:{KEY}")],
)
def test_a_key_in_a_form_not_read_is_refused_not_forwarded(header, value) -> None:
    with pytest.raises(Unauthenticated, match="in a form this gateway does not read"):
        finder().take(exchange({header: value}))


def test_a_provider_key_that_merely_contains_hk_is_left_alone() -> None:
    provider_key = "sk-ant-api03-xyzhk_abc"
    ex = exchange({"x-api-key": provider_key}, query=b"key=AIzaSyhk_abc")
    assert finder().take(ex) == []
    assert ex.headers == [(b"x-api-key", provider_key.encode())]
    assert ex.query == b"key=AIzaSyhk_abc"
