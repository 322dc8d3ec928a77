"""REQMOD of a request to an AI web app: the forward proxy's verdict, through ICAP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.audit import AuditRecord
from gateway.inspection import Decide
from tests.icap.support import IcapClient, IcapStack, b64, icap_stack, reqmod, still_in_step
from tests.support.polling import wait_for

CHATGPT = "https://chatgpt.com/backend-api/conversation"
PROMPT = b'{"messages": [{"content": {"parts": ["draft the merger memo"]}}]}'


@pytest.fixture(scope="module")
def icap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IcapStack]:
    with icap_stack(tmp_path_factory.mktemp("webapps")) as stack:
        yield stack


@pytest.fixture
def client(icap: IcapStack) -> Iterator[IcapClient]:
    with icap.client() as connection:
        yield connection


def record_of(icap: IcapStack, user: str) -> AuditRecord:
    return wait_for(
        lambda: next((r for r in reversed(icap.stack.audit_tail(30)) if r.user == user), None),
        5,
        message=f"no record for {user}",
    )


@pytest.mark.parametrize(
    ("language", "title"),
    [("ko-KR,ko;q=0.9", "회사 정책에 따라 차단되었습니다"), ("en-US", "Blocked by company policy")],
)
def test_a_blocked_web_app_gets_the_block_page_and_a_record(
    icap: IcapStack, client: IcapClient, language: str, title: str
) -> None:
    user = f"kim-{language[:2]}"
    client.send(
        reqmod(
            CHATGPT,
            PROMPT,
            icap_headers={"X-Authenticated-User": b64(user)},
            http_headers={"Accept-Language": language},
            preview=4096,
        )
    )
    answer = client.read()
    assert answer.status == 200 and answer.sections == ["res-hdr", "res-body"]
    assert answer.http_status == 403
    assert (answer.http_header("content-type") or "").startswith("text/html")
    page = answer.body.decode()
    assert title in page and "ChatGPT" in page
    assert "no-uninspectable-web-apps" in page  # the rule that refused it
    record = record_of(icap, user)
    assert (record.provider, record.api, record.decision) == ("chatgpt", "web_app", "block")
    assert record.method == "POST" and record.host == "chatgpt.com"
    assert record.request_id in page
    assert "merger" not in str(record)  # nothing the user typed is recorded
    still_in_step(client)


def test_a_blocked_web_app_answers_without_the_rest_of_a_large_body(client: IcapClient) -> None:
    large = b'{"text": "' + b"x" * 20_000 + b'"}'
    client.send(reqmod(CHATGPT, large, preview=4096))  # only the preview is sent
    assert client.read().http_status == 403  # no 100 Continue was asked for
    still_in_step(client)


def test_a_failure_to_judge_refuses(
    icap: IcapStack, client: IcapClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(self: Decide, exchange: object) -> None:
        raise KeyError("internal detail")

    monkeypatch.setattr(Decide, "__call__", broken)
    client.send(reqmod("https://claude.ai/api/chat", PROMPT, preview=4096))
    answer = client.read()
    assert answer.http_status == 403
    assert "fail closed" in answer.body.decode()  # refused for the failure, not by a rule
    assert "internal detail" not in answer.body.decode()
    still_in_step(client)


TRUSTS_COPILOT = """
policy: trusts-copilot
rules:
  - id: no-uninspectable-web-apps
    when: { web_app: true }
    unless: { web_app: [copilot] }
    action: block
"""


def test_a_web_app_the_policy_allows_is_204_and_recorded(tmp_path: Path) -> None:
    with icap_stack(tmp_path, policy_text=TRUSTS_COPILOT) as icap, icap.client() as client:
        headers = {"X-Authenticated-User": b64("lee"), "X-Client-IP": "10.1.2.3"}
        client.send(
            reqmod(
                "https://copilot.microsoft.com/c/api", PROMPT, icap_headers=headers, preview=4096
            )
        )
        assert client.read().status == 204
        still_in_step(client)
        record = record_of(icap, "lee")
    assert (record.provider, record.api, record.decision) == ("copilot", "web_app", "allow")
    assert record.client_address == "10.1.2.3"
