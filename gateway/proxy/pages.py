"""What the proxy itself answers: the block page for AI web apps and short refusals.

Browsers show a response body only inside an intercepted connection (a CONNECT
refusal's body is never displayed), so web apps are intercepted to be refused.
Only the host and the application's catalogue facts appear; nothing the user sent.
"""

from __future__ import annotations

import html

from gateway.policy.messages import Language
from gateway.providers.webapps import WebApp
from gateway.proxy.judge import Verdict
from gateway.types import Send

__all__ = ["block_page", "refusal_text", "send_page"]

_PAGE = {
    "en": (
        "Blocked by company policy",
        "{name} ({operator}) is an AI web application that Haetae, your company's AI "
        "gateway, cannot inspect.",
        "Use the company's approved AI tools instead, or ask your security team. Host: {host}",
        "Request id",
    ),
    "ko": (
        "회사 정책에 따라 차단되었습니다",
        "{name}({operator})은(는) 회사의 AI 게이트웨이 Haetae가 내용을 검사할 수 없는 "
        "AI 웹 서비스입니다.",
        "회사에서 승인한 AI 도구를 사용하시거나 보안 담당 부서에 문의하세요. 호스트: {host}",
        "요청 ID",
    ),
}

_REFUSALS = {
    "denied": {
        "en": "Haetae's forward proxy does not relay to {host}: only AI services pass here.",
        "ko": "Haetae 포워드 프록시는 {host}(으)로 중계하지 않습니다. AI 서비스만 허용됩니다.",
    },
    "plain_http": {
        "en": "Haetae relays other hosts only over HTTPS (CONNECT); plain HTTP to {host} "
        "is not relayed.",
        "ko": "Haetae는 AI 서비스 외의 호스트를 HTTPS(CONNECT)로만 중계합니다. {host}(으)로 "
        "가는 평문 HTTP는 중계하지 않습니다.",
    },
    "not_proxied": {
        "en": "This is Haetae's forward proxy: send requests in absolute form or CONNECT.",
        "ko": "Haetae 포워드 프록시입니다. 절대 URL 형식의 요청이나 CONNECT를 보내세요.",
    },
    "bad_request": {
        "en": "The proxy request could not be read: {host}",
        "ko": "프록시 요청을 읽을 수 없습니다: {host}",
    },
    "upstream_failed": {
        "en": "Haetae could not connect to {host}.",
        "ko": "Haetae가 {host}에 연결하지 못했습니다.",
    },
}


def block_page(app: WebApp, host: str, language: Language, verdict: Verdict | None) -> bytes:
    """The page, with the policy's own message and the request id when a verdict has them."""
    title, reason, advice, request_id = _PAGE[language]
    values = {
        "name": html.escape(app.name),
        "operator": html.escape(app.operator),
        "host": html.escape(host),
    }
    because = ""
    if verdict is not None:
        rules = ", ".join(verdict.rule_ids)
        because = (
            f"<p><strong>{html.escape(verdict.messages[language])}</strong></p>"
            f"<p><small>{request_id}: {html.escape(verdict.request_id)}"
            f"{' · ' + html.escape(rules) if rules else ''}</small></p>"
        )
    return (
        f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width"><title>{title}</title>'
        "<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;"
        "padding:0 1rem;color:#222}h1{font-size:1.4rem}</style></head><body>"
        f"<h1>{title}</h1><p>{reason.format(**values)}</p>{because}"
        f"<p>{advice.format(**values)}</p>"
        "<p><small>Haetae (해태)</small></p></body></html>"
    ).encode()


def refusal_text(reason: str, host: str, language: Language) -> bytes:
    """A one-line refusal in ``language``, then the other language (clients ignore ours)."""
    other: Language = "en" if language == "ko" else "ko"
    table = _REFUSALS[reason]
    lines = (table[language].format(host=host), table[other].format(host=host))
    return ("\n".join(lines) + "\n").encode()


async def send_page(
    send: Send, status: int, kind: bytes, body: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    """One whole ASGI response: ``kind`` is its content type, ``headers`` the rest."""
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", kind),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
