"""Company secrets through the gateway: a pasted customer row or a confidential passage is
blocked by policy, with the official OpenAI SDK as the client; nothing of either reaches
the provider or the audit store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from gateway.app import build_app
from gateway.detect.company.documents import DocumentIndexBuilder
from gateway.errors import ConfigError
from gateway.settings import load_settings
from tests.detect.company.support import KEY, build_customers, raw_values
from tests.detect.company.test_documents import PLAN, PRICING, RENAMED
from tests.support.stack import GatewayStack, gateway_stack

POLICY = """
policy: company-secrets
detection:
  company:
    records: {min_fields: 2, columns: [name, phone, email, account]}
    documents: {min_tokens: 30}
rules:
  - id: customer-records
    when: {entities: [COMPANY_RECORD]}
    action: block
    message: {en: A customer record may not leave., ko: 고객 정보는 외부로 보낼 수 없습니다.}
  - id: confidential-documents
    when: {entities: [COMPANY_DOCUMENT, COMPANY_SOURCE_CODE]}
    action: block
"""


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayStack]:
    folder = tmp_path_factory.mktemp("company-gateway")
    index = folder / "index"
    build_customers(index)
    documents = DocumentIndexBuilder(KEY)
    documents.add("strategy/aurora-forecast.docx", PLAN, "document", as_code=False)
    documents.add("shop/pricing.py", PRICING, "source_code", as_code=True)
    documents.write(index / "documents" / "confidential", "confidential")
    with gateway_stack(
        folder,
        policy_text=POLICY,
        settings={"company.index_dir": str(index), "detection.scan_processes": 1},
        environ={"HAETAE_COMPANY_KEY": KEY.decode()},
    ) as running:
        yield running


def ask(stack: GatewayStack, text: str) -> openai.types.chat.ChatCompletion:
    client = openai.OpenAI(api_key="sk-t", base_url=stack.url("/openai/v1"), max_retries=0)
    return client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": text}]
    )


ROW = "이 고객 건 처리해줘: 김민수, 010 2345 6789, 110-123-456789"


def test_a_pasted_customer_row_is_blocked(stack: GatewayStack) -> None:
    stack.fake.reset()
    with pytest.raises(openai.PermissionDeniedError, match="customer-records") as raised:
        ask(stack, ROW)
    assert stack.fake.received == []
    request_id = raised.value.response.headers["x-haetae-request-id"]
    record = stack.record(request_id)
    [summary] = [f for f in record.findings if f.entity_type == "COMPANY_RECORD"]
    assert summary.count == 3
    assert summary.sources == {"customers": 3}


def test_a_long_prompt_scanned_in_a_worker_process_is_blocked_too(stack: GatewayStack) -> None:
    stack.fake.reset()
    filler = "Here is some unrelated context about the weather and lunch plans. " * 60
    with pytest.raises(openai.PermissionDeniedError, match="customer-records"):
        ask(stack, filler + ROW + filler)  # > detection.offload_threshold_chars
    assert stack.fake.received == []


def test_a_name_alone_passes(stack: GatewayStack) -> None:
    stack.fake.reset()
    ask(stack, "김민수 고객님께 보낼 감사 인사를 써줘")
    assert len(stack.fake.received) == 1


def test_a_confidential_passage_and_renamed_code_are_blocked(stack: GatewayStack) -> None:
    stack.fake.reset()
    with pytest.raises(openai.PermissionDeniedError, match="confidential-documents"):
        ask(stack, "Summarise for the board:\n" + PLAN.replace(", ", ",\n"))
    with pytest.raises(openai.PermissionDeniedError, match="confidential-documents") as raised:
        ask(stack, "Why is this slow?\n```python" + RENAMED + "```")
    assert stack.fake.received == []
    record = stack.record(raised.value.response.headers["x-haetae-request-id"])
    [summary] = record.findings
    assert summary.entity_type == "COMPANY_SOURCE_CODE"
    assert list(summary.sources) == ["shop/pricing.py"]


def test_no_registered_value_or_passage_is_in_the_index_or_the_audit_store(
    stack: GatewayStack,
) -> None:
    with pytest.raises(openai.PermissionDeniedError):
        ask(stack, ROW)
    stored = b"".join(
        p.read_bytes() for p in stack.folder.rglob("*") if p.is_file() and p.suffix != ".yaml"
    )
    assert (stack.folder / "audit.db").stat().st_size > 0
    for value in [*raw_values(), "Project Aurora assumes", "loyalty_points"]:
        assert value.encode() not in stored, value


def test_a_policy_on_company_entities_needs_an_index(tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(POLICY)
    settings = load_settings(environ={}, overrides={"policy": str(policy)})
    with pytest.raises(ConfigError, match="no company index is configured"):
        build_app(settings, environ={})


def test_an_unknown_table_or_a_missing_key_is_a_clear_error(tmp_path: Path) -> None:
    build_customers(tmp_path / "index")
    policy = tmp_path / "p.yaml"
    policy.write_text(POLICY.replace("columns: [", "tables: [suppliers], columns: ["))
    overrides = {"policy": str(policy), "company.index_dir": str(tmp_path / "index")}
    settings = load_settings(environ={}, overrides=overrides)
    with pytest.raises(ConfigError, match="no registered table named suppliers"):
        build_app(settings, environ={"HAETAE_COMPANY_KEY": KEY.decode()})
    with pytest.raises(ConfigError, match="HAETAE_COMPANY_KEY"):
        build_app(settings, environ={})


def test_company_settings_belong_to_the_top_level_policy(tmp_path: Path) -> None:
    from gateway.detect import SUPPORTED_ENTITIES
    from gateway.policy import load_policy
    from gateway.policy.active import detector_spec

    (tmp_path / "part.yaml").write_text("detection:\n  company: {records: {min_fields: 3}}\n")
    top = tmp_path / "p.yaml"
    top.write_text("policy: p\ninclude: [part.yaml]\nrules: []\n")
    with pytest.raises(ConfigError, match="only the including policy"):
        load_policy(top, SUPPORTED_ENTITIES)
    top.write_text(POLICY)
    policy = load_policy(top, SUPPORTED_ENTITIES)
    entities, _, company = detector_spec(policy)
    assert "COMPANY_RECORD" not in entities  # not a built-in recognizer's
    assert company == (
        frozenset({"COMPANY_RECORD", "COMPANY_DOCUMENT", "COMPANY_SOURCE_CODE"}),
        2,
        ("name", "phone", "email", "account"),
        (),
        30,
        (),
    )
