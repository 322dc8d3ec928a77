"""Phones of any country, closed-up accounts, passports in prose and names, end to end.

The official openai SDK sends each through the gateway to the fake provider; what leaves
must hold the placeholder, not the value.
"""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest

from gateway.dev.testing import FakeUpstream
from tests.support.stack import gateway_stack

POLICY = """
policy: personal-data
rules:
  - {id: phones, when: {entities: [PHONE_NUMBER]}, action: redact}
  - {id: accounts, when: {entities: [KR_BANK_ACCOUNT]}, action: redact}
  - {id: passports, when: {entities: [KR_PASSPORT]}, action: redact}
  - {id: names, when: {entities: [PERSON]}, action: redact}
"""


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[openai.OpenAI, FakeUpstream]]:
    folder = tmp_path_factory.mktemp("personal")
    with gateway_stack(folder, policy_text=POLICY) as running:
        client = openai.OpenAI(
            api_key="sk-t", base_url=running.server.url("/openai/v1"), max_retries=0
        )
        yield client, running.fake


@pytest.mark.parametrize(
    ("prompt", "value", "placeholder"),
    [
        ("Call our London office on +44 20 7946 0958 today", "+44 20 7946 0958", "PHONE_NUMBER"),
        ("her mobile is 07700 900123, text her", "07700 900123", "PHONE_NUMBER"),
        ("연락처 0233142161로 전화 주세요", "0233142161", "PHONE_NUMBER"),
        ("카카오뱅크 3333123456789로 입금해줘", "3333123456789", "KR_BANK_ACCOUNT"),
        ("출장 등록 코드는 M08824561 입니다", "M08824561", "KR_PASSPORT"),
        ("Write to John Smith about the renewal", "John Smith", "PERSON"),
        ("어제 최찬준이 보고서를 냈다", "최찬준", "PERSON"),
    ],
)
def test_personal_data_is_redacted_before_it_leaves(
    stack: tuple[openai.OpenAI, FakeUpstream], prompt: str, value: str, placeholder: str
) -> None:
    client, fake = stack
    fake.reset()
    client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": prompt}])
    sent = fake.received[0].json()["messages"][0]["content"]
    assert value not in sent
    assert f"<{placeholder}>" in sent


def test_company_number_and_look_alikes_pass_unchanged(
    stack: tuple[openai.OpenAI, FakeUpstream],
) -> None:
    client, fake = stack
    fake.reset()
    prompt = "고객센터 1588-1234 안내문, 한정판 구매 고객님께, Virginia Beach 2024-01-15"
    client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": prompt}])
    assert fake.received[0].json()["messages"][0]["content"] == prompt
