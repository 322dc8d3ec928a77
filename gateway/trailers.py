"""Request trailers: kept out of the request's headers, and refused.

A chunked request body may end with *trailer* fields, header lines sent after
the body. uvicorn's httptools protocol appends them to the very list that is the
request's ``scope["headers"]``: a trailer that arrives with the body's last chunk
is already among the headers when the application reads them, and nothing tells
it apart from a header (observed with uvicorn 0.55 / httptools 0.9, see
``tests/gateway/test_trailers_via_gateway.py``). That is a way around whatever
looked at the headers before the gateway: a corporate proxy that strips
``X-Forwarded-User`` from its clients' requests but passes trailers on would let
a caller name any user, and every trailer would be forwarded unread.

So the gateway's server uses ``TrailerSeparatingProtocol`` (``http_protocol.py``,
used by ``server.uvicorn_config`` and the test servers): trailer fields never
join the headers; their *names* (never their values) are listed in
``scope["extensions"]["haetae.request_trailers"]``, and ``check_trailers`` (in
Read body, once the body has ended) refuses a request that had any, in the
provider's error format. Trailers are refused rather than scanned: no SDK sends
them, and a scanned trailer would still have to be forwarded as one, which the
upstream clients do not do.

A server that does not list trailers this way (uvicorn's stock protocols, another
ASGI server) cannot say which header lines came after the body, so a chunked
request body it delivers is refused too: fail closed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gateway.errors import BadRequest

if TYPE_CHECKING:
    from gateway.exchange import Exchange

__all__ = ["TRAILERS", "check_trailers", "request_trailers"]

#: the scope extension listing a request's trailer names (absent: the server does not say)
TRAILERS = "haetae.request_trailers"


def request_trailers(scope: Any) -> list[str] | None:
    """The list the server fills with trailer names, or None if it keeps none."""
    extensions = scope.get("extensions")
    if extensions is None:
        return None
    names: list[str] | None = extensions.get(TRAILERS)
    return names


_REFUSED = {
    "en": "Haetae does not accept request trailers (fields sent after a chunked body): "
    "send them as headers",
    "ko": "Haetae는 요청 트레일러(청크 본문 뒤에 보낸 필드)를 받지 않습니다: 헤더로 보내세요",
}
_UNSEPARATED = {
    "en": "this gateway's HTTP server cannot tell trailer fields from headers, so a chunked "
    "request body is refused: send it with a Content-Length",
    "ko": "이 게이트웨이의 HTTP 서버는 트레일러와 헤더를 구분하지 못하므로 청크 본문 요청을 "
    "거부합니다: Content-Length와 함께 보내세요",
}


def check_trailers(exchange: Exchange) -> None:
    """Refuse a request whose body ended with trailers, or might have, unseen.

    The message never names the fields: their names are the caller's text too.
    """
    if exchange.trailers:
        words = _REFUSED
    elif exchange.trailers is None and _chunked(exchange):
        words = _UNSEPARATED
    else:
        return
    raise BadRequest(words[exchange.language()], code="request_trailers")


def _chunked(exchange: Exchange) -> bool:
    encoding = exchange.header(b"transfer-encoding")
    return encoding is not None and b"chunked" in encoding.lower()
