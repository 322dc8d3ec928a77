"""Answers are inspected: the official SDKs read what the policy lets them read.

The fake provider is scripted to answer with a resident number, a card number
and an AWS key, each cut across stream events, and a tool call whose arguments
hold them too. Under the shipped default policy the caller reads them masked,
in every dialect, streamed or not; under a policy that blocks them the SDK
raises its own error, before the head or mid-stream.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anthropic
import openai
import orjson
import pytest
from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from gateway.audit import AuditRecord
from gateway.detect.transforms import mask_value
from gateway.dev.testing.fake_answers import ScriptedAnswer
from tests.support.stack import GatewayStack, gateway_stack
from tests.support.values import AWS_KEY, EMAIL, RRN

CARD = "4111 1111 1111 1111"
#: the values cut where a model's tokens would cut them, never whole in one event
PIECES = (
    "고객 주민번호 9001",
    "01-1234",
    "568, 카드 4111 11",
    "11 1111 1111, 키 AKIAZ3M",
    "SK2PLQW7RTX4N 입니다.",
)
TEXT = "".join(PIECES)
ARGUMENT_PIECES = ('{"customer": "9001', '01-1234568", "card": "4111 1111 ', '1111 1111"}')
ANSWER = ScriptedAnswer(PIECES, "lookup_customer", ARGUMENT_PIECES)
MASKED = (
    TEXT.replace(RRN, mask_value("KR_RRN", RRN))
    .replace(CARD, mask_value("CREDIT_CARD", CARD))
    .replace(AWS_KEY, mask_value("SECRET_AWS_ACCESS_KEY", AWS_KEY))
)
MASKED_ARGUMENTS = {
    "customer": mask_value("KR_RRN", RRN),
    "card": mask_value("CREDIT_CARD", CARD),
}

BLOCKING = """
policy: answers-blocked
rules:
  - id: pseudonymize-mail
    when: { entities: [EMAIL_ADDRESS] }
    action: pseudonymize
  - id: mail-in-answers
    when: { entities: [EMAIL_ADDRESS] }
    direction: response
    action: redact
  - id: no-identifiers-in-answers
    when: { entities: [KR_RRN, "SECRET_*"] }
    direction: response
    action: block
    message:
      en: The answer held an identifier.
      ko: 답변에 고유식별정보가 있습니다.
tests:
  - name: a resident number in an answer is blocked
    response: { text: "900101-1234568" }
    expect: { action: block, rules: [no-identifiers-in-answers] }
"""


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayStack]:
    with gateway_stack(tmp_path_factory.mktemp("answers")) as built:
        yield built


@pytest.fixture(scope="module")
def blocking(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayStack]:
    with gateway_stack(tmp_path_factory.mktemp("blocking"), policy_text=BLOCKING) as built:
        yield built


@pytest.fixture
def scripted(shipped: GatewayStack) -> Iterator[GatewayStack]:
    shipped.fake.scripted = ANSWER
    yield shipped
    shipped.fake.scripted = None


def _openai(stack: GatewayStack) -> openai.OpenAI:
    return openai.OpenAI(api_key="sk-test", base_url=stack.url("/openai/v1"), max_retries=0)


def _anthropic(stack: GatewayStack) -> anthropic.Anthropic:
    return anthropic.Anthropic(api_key="sk-ant-t", base_url=stack.url("/anthropic"), max_retries=0)


def _gemini(stack: GatewayStack) -> genai.Client:
    options = types.HttpOptions(
        base_url=stack.url("/gemini"), retry_options=types.HttpRetryOptions(attempts=1)
    )
    return genai.Client(api_key="gemini-test-key", http_options=options)


MESSAGES: Any = [{"role": "user", "content": "Show me the customer record"}]
TOOLS: Any = [
    {
        "type": "function",
        "function": {"name": "lookup_customer", "parameters": {"type": "object"}},
    }
]

#: what the caller read: (text, tool-call arguments as parsed JSON, request id)
Read = tuple[str, Any, str]


def chat(stack: GatewayStack) -> Read:
    raw = _openai(stack).chat.completions.with_raw_response.create(
        model="gpt-4o", messages=MESSAGES, tools=TOOLS
    )
    message = raw.parse().choices[0].message
    assert raw.headers["x-haetae-answer"] == "mask"  # a whole answer says what was done
    assert message.tool_calls is not None
    call = message.tool_calls[0]
    assert call.type == "function"
    return message.content or "", orjson.loads(call.function.arguments), _id(raw.headers)


def chat_stream(stack: GatewayStack) -> Read:
    raw = _openai(stack).chat.completions.with_raw_response.create(
        model="gpt-4o", messages=MESSAGES, tools=TOOLS, stream=True
    )
    text, arguments = [], []
    for chunk in raw.parse():
        delta = chunk.choices[0].delta if chunk.choices else None
        if delta is not None and delta.content:
            text.append(delta.content)
        for call in (delta.tool_calls or []) if delta is not None else []:
            if call.function is not None and call.function.arguments:
                arguments.append(call.function.arguments)
    return "".join(text), orjson.loads("".join(arguments)), _id(raw.headers)


def responses(stack: GatewayStack) -> Read:
    raw = _openai(stack).responses.with_raw_response.create(
        model="gpt-5", input="Show me the customer record"
    )
    response = raw.parse()
    (call,) = [item for item in response.output if item.type == "function_call"]
    return response.output_text, orjson.loads(call.arguments), _id(raw.headers)


def responses_stream(stack: GatewayStack) -> Read:
    raw = _openai(stack).responses.with_raw_response.create(
        model="gpt-5", input="Show me the customer record", stream=True
    )
    text, arguments, completed = [], [], None
    for event in raw.parse():
        if event.type == "response.output_text.delta":
            text.append(event.delta)
        elif event.type == "response.function_call_arguments.delta":
            arguments.append(event.delta)
        elif event.type == "response.completed":
            completed = event.response
    assert completed is not None
    assert completed.output_text == "".join(text)  # the repeated whole is masked alike
    return "".join(text), orjson.loads("".join(arguments)), _id(raw.headers)


def messages(stack: GatewayStack) -> Read:
    raw = _anthropic(stack).messages.with_raw_response.create(
        model="claude-sonnet-4-6", max_tokens=100, messages=MESSAGES
    )
    message = raw.parse()
    text = "".join(block.text for block in message.content if block.type == "text")
    (tool,) = [block for block in message.content if block.type == "tool_use"]
    return text, tool.input, _id(raw.headers)


def messages_stream(stack: GatewayStack) -> Read:
    raw = _anthropic(stack).messages.with_raw_response.create(
        model="claude-sonnet-4-6", max_tokens=100, messages=MESSAGES, stream=True
    )
    text, arguments = [], []
    for event in raw.parse():
        if event.type == "content_block_delta":
            if event.delta.type == "text_delta":
                text.append(event.delta.text)
            elif event.delta.type == "input_json_delta":
                arguments.append(event.delta.partial_json)
    return "".join(text), orjson.loads("".join(arguments)), _id(raw.headers)


def generate(stack: GatewayStack) -> Read:
    client = _gemini(stack)  # held: a client that is collected closes its connection
    response = client.models.generate_content(
        model="gemini-2.5-flash", contents="Show me the customer record"
    )
    (call,) = response.function_calls or []
    return response.text or "", call.args, _gemini_id(response)


def generate_stream(stack: GatewayStack) -> Read:
    text, arguments, request_id = [], None, ""
    client = _gemini(stack)
    for chunk in client.models.generate_content_stream(
        model="gemini-2.5-flash", contents="Show me the customer record"
    ):
        request_id = request_id or _gemini_id(chunk)
        for part in chunk.candidates[0].content.parts if chunk.candidates else []:
            if part.text:
                text.append(part.text)
            if part.function_call is not None:
                arguments = part.function_call.args
    return "".join(text), arguments, request_id


def _id(headers: Any) -> str:
    return str(headers["x-haetae-request-id"])


def _gemini_id(response: types.GenerateContentResponse) -> str:
    http = response.sdk_http_response
    return (http.headers or {}).get("x-haetae-request-id", "") if http is not None else ""


READERS: dict[str, Callable[[GatewayStack], Read]] = {
    "openai chat": chat,
    "openai chat, streamed": chat_stream,
    "openai responses": responses,
    "openai responses, streamed": responses_stream,
    "anthropic messages": messages,
    "anthropic messages, streamed": messages_stream,
    "gemini generateContent": generate,
    "gemini streamGenerateContent (SSE)": generate_stream,
}


@pytest.mark.parametrize("read", READERS.values(), ids=READERS.keys())
def test_identifiers_and_keys_in_answers_are_masked(scripted: GatewayStack, read) -> None:
    text, arguments, request_id = read(scripted)
    assert text == MASKED
    assert arguments == MASKED_ARGUMENTS
    record = scripted.record(request_id)
    # the text and the arguments hold the same two values: each counts once
    _assert_answer_recorded(record, {"KR_RRN": 1, "CREDIT_CARD": 1, "SECRET_AWS_ACCESS_KEY": 1})


def test_gemini_json_array_stream_is_masked_whole(scripted: GatewayStack) -> None:
    """Without ``alt=sse`` Gemini streams one JSON array: read whole, judged, then sent."""
    import httpx

    body = {"contents": [{"role": "user", "parts": [{"text": "Show me the record"}]}]}
    response = httpx.post(
        scripted.url("/gemini/v1beta/models/gemini-2.5-flash:streamGenerateContent"),
        json=body,
        headers={"x-goog-api-key": "k"},
        timeout=10,
    )
    assert response.status_code == 200
    chunks = response.json()
    text = "".join(
        part.get("text", "")
        for chunk in chunks
        for part in chunk["candidates"][0]["content"]["parts"]
    )
    # the array's elements are judged as a stream's events: cut values are whole again
    assert text == MASKED
    assert RRN not in text and "1234568" not in text and AWS_KEY not in text
    assert "4111 1111 1111 1111" not in text
    _assert_answer_recorded(scripted.record(response.headers["x-haetae-request-id"]), None)


def _assert_answer_recorded(record: AuditRecord, counts: dict[str, int] | None) -> None:
    assert record.details is not None
    answer = record.details["response"]
    assert answer["action"] == "mask"
    assert answer["rule_ids"] == ["answers-mask-identifiers"]
    if counts is not None:
        assert answer["entities"] == counts
    found = [f for f in record.findings if f.direction == "response"]
    assert {f.entity_type for f in found} >= {"KR_RRN", "SECRET_AWS_ACCESS_KEY"}
    assert all(f.fingerprints for f in found)
    # no value anywhere in the record
    dumped = orjson.dumps(record.to_dict()).decode()
    for value in (RRN, "1234568", CARD, AWS_KEY, "Z3MSK2PLQW7RTX"):
        assert value not in dumped


def test_a_block_before_the_head_is_the_providers_error(blocking: GatewayStack) -> None:
    blocking.fake.scripted = ScriptedAnswer(PIECES)
    try:
        with pytest.raises(openai.PermissionDeniedError) as raised:
            _openai(blocking).chat.completions.create(model="gpt-4o", messages=MESSAGES)
        assert "The answer held an identifier." in raised.value.message
        request_id = raised.value.response.headers["x-haetae-request-id"]
        with pytest.raises(anthropic.PermissionDeniedError):
            messages_plain = [{"role": "user", "content": "hi"}]
            _anthropic(blocking).messages.create(
                model="claude-sonnet-4-6", max_tokens=10, messages=messages_plain
            )
        gemini = _gemini(blocking)
        with pytest.raises(genai_errors.ClientError) as gemini_raised:
            gemini.models.generate_content(model="gemini-2.5-flash", contents="hi")
        assert gemini_raised.value.code == 403
    finally:
        blocking.fake.scripted = None
    record = blocking.record(request_id)
    assert record.status == 403
    assert record.error == "answer_blocked"
    assert record.details is not None
    assert record.details["response"]["blocked"] == "before_relay"


def test_a_block_mid_stream_ends_the_stream_with_the_providers_error_event(
    blocking: GatewayStack,
) -> None:
    blocking.fake.scripted = ScriptedAnswer(("Plain words first. ", *PIECES))
    try:
        seen = []
        raw = _openai(blocking).chat.completions.with_raw_response.create(
            model="gpt-4o", messages=MESSAGES, stream=True
        )
        with pytest.raises(openai.APIError) as raised:
            for chunk in raw.parse():
                if chunk.choices and chunk.choices[0].delta.content:
                    seen.append(chunk.choices[0].delta.content)
        assert "Answer withheld by Haetae policy" in str(raised.value)
        assert "".join(seen).startswith("Plain words first.")
        assert "9001" not in "".join(seen)  # the held start of the value never left
        with pytest.raises(anthropic.APIStatusError):
            for _ in _anthropic(blocking).messages.create(
                model="claude-sonnet-4-6", max_tokens=10, messages=MESSAGES, stream=True
            ):
                pass
        gemini = _gemini(blocking)
        with pytest.raises(genai_errors.APIError):
            for _ in gemini.models.generate_content_stream(model="gemini-2.5-flash", contents="hi"):
                pass
    finally:
        blocking.fake.scripted = None
    record = blocking.record(_id(raw.headers))
    assert record.status == 200
    assert record.error == "answer_blocked"
    assert record.details is not None
    assert record.details["response"]["blocked"] == "mid_stream"
    assert record.details["response"]["rule_ids"] == ["no-identifiers-in-answers"]


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
def test_the_callers_own_pseudonymized_values_are_restored_not_judged(
    blocking: GatewayStack, stream: bool
) -> None:
    """The request's e-mail leaves as a placeholder and the echo brings it back: the
    answer rule redacting e-mail addresses judges the provider's words (a placeholder),
    and the caller then reads their own address restored."""
    prompt = [{"role": "user", "content": f"Write to {EMAIL} and also to lee@example.org"}]
    raw = _openai(blocking).chat.completions.with_raw_response.create(
        model="gpt-4o", messages=prompt, stream=stream
    )
    if stream:
        chunks = raw.parse()
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    else:
        text = raw.parse().choices[0].message.content or ""
    assert text == f"echo: Write to {EMAIL} and also to lee@example.org"
    sent = blocking.fake.received[-1].json()["messages"][0]["content"]
    assert EMAIL not in sent  # the provider saw placeholders only
    record = blocking.record(_id(raw.headers))
    assert "response" not in (record.details or {})  # nothing found in the answer


def test_an_address_the_provider_writes_itself_is_judged(blocking: GatewayStack) -> None:
    blocking.fake.scripted = ScriptedAnswer(
        (
            "Write to kim.",
            "minsu@exam",
            "ple.co.kr today",
        )
    )
    try:
        reply = _openai(blocking).chat.completions.create(model="gpt-4o", messages=MESSAGES)
    finally:
        blocking.fake.scripted = None
    assert reply.choices[0].message.content == "Write to <EMAIL_ADDRESS> today"


def test_policy_file_cases_state_answers(tmp_path: Path) -> None:
    from gateway.policy.cases import run_policy_tests

    path = tmp_path / "policy.yaml"
    path.write_text(BLOCKING, encoding="utf-8")
    (report,) = run_policy_tests([path])
    assert report.ok, report.results


QUOTED = """
policy: quoted-client
detection:
  dictionaries:
    - entity: KEY_CLIENT
      terms: ['Hanbit "HQ" Corp']
rules:
  - id: pseudonymize-clients
    when: { entities: [KEY_CLIENT] }
    action: pseudonymize
  - id: mask-rrn-in-answers
    when: { entities: [KR_RRN] }
    direction: response
    action: mask
tests:
  - name: a client's name is pseudonymized
    request: { text: 'Call Hanbit "HQ" Corp' }
    expect: { action: pseudonymize }
"""


@pytest.mark.parametrize("answer_rules", [True, False], ids=["answers judged", "not judged"])
@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
def test_a_value_restored_into_tool_call_arguments_stays_inside_its_string(
    tmp_path: Path, stream: bool, answer_rules: bool
) -> None:
    """A restored value with a quote in it is JSON-escaped inside the arguments: it
    cannot end the argument's string or add a key to the call, whether or not the
    policy judges answers."""
    policy = (
        QUOTED
        if answer_rules
        else QUOTED.split("  - id: mask-rrn-in-answers")[0] + ("tests:" + QUOTED.split("tests:")[1])
    )
    with gateway_stack(tmp_path, policy_text=policy) as built:
        built.fake.scripted = ScriptedAnswer(("Calling.",), "call", ('{"who": "', "{prompt}", '"}'))
        prompt: Any = [{"role": "user", "content": 'Call Hanbit "HQ" Corp'}]
        client = _openai(built)
        if stream:
            pieces = []
            for chunk in client.chat.completions.create(
                model="gpt-4o", messages=prompt, tools=TOOLS, stream=True
            ):
                for call in (chunk.choices[0].delta.tool_calls or []) if chunk.choices else []:
                    if call.function is not None and call.function.arguments:
                        pieces.append(call.function.arguments)
            arguments = "".join(pieces)
        else:
            reply = client.chat.completions.create(model="gpt-4o", messages=prompt, tools=TOOLS)
            calls = reply.choices[0].message.tool_calls or []
            assert calls[0].type == "function"
            arguments = calls[0].function.arguments
        assert "Hanbit" not in built.fake.received[-1].text  # the provider saw a placeholder
    assert orjson.loads(arguments) == {"who": 'Call Hanbit "HQ" Corp'}


def test_a_withheld_answer_speaks_the_callers_language(blocking: GatewayStack) -> None:
    import httpx

    blocking.fake.scripted = ScriptedAnswer(PIECES)
    try:
        body = {"model": "gpt-4o", "messages": MESSAGES}
        response = httpx.post(
            blocking.url("/openai/v1/chat/completions"),
            json=body,
            headers={"accept-language": "ko-KR,ko;q=0.9"},
            timeout=10,
        )
    finally:
        blocking.fake.scripted = None
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "answer_blocked"
    assert error["message"].startswith("Haetae 정책 'answers-blocked'에 의해 답변이 차단되었습니다")
    assert "답변에 고유식별정보가 있습니다." in error["message"]
    assert RRN not in response.text


def test_an_answer_too_large_to_read_whole_is_refused_not_relayed(tmp_path: Path) -> None:
    import httpx

    settings = {"forward.max_event_bytes": 65536}
    with gateway_stack(tmp_path, settings=settings) as built:
        built.fake.scripted = ScriptedAnswer(("x" * 70000,))
        response = httpx.post(
            built.url("/openai/v1/chat/completions"),
            json={"model": "gpt-4o", "messages": MESSAGES},
            headers={"accept-language": "ko"},
            timeout=10,
        )
        record = built.record(response.headers["x-haetae-request-id"])
    assert response.status_code == 502
    assert "검사를 위해 읽는 한도보다 큰 응답" in response.json()["error"]["message"]
    assert "xxxx" not in response.text
    assert record.error == "upstream_protocol_error"
