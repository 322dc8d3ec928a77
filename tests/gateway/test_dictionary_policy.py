"""Company term lists from the policy: code names, customers, internal hosts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from gateway.detect import SUPPORTED_ENTITIES
from gateway.errors import ConfigError
from gateway.policy import load_policy
from tests.support.stack import gateway_stack

POLICY = """
policy: company-terms
detection:
  dictionaries:
    - entity: PROJECT_CODENAME
      terms: [Phoenix, 불사조]
      file: codenames.txt
    - entity: INTERNAL_HOST
      terms: ["*.corp.example.com", "10.20.0.0/16"]
rules:
  - {id: code-names, when: {entities: [PROJECT_CODENAME]}, action: block}
  - {id: internal-hosts, when: {entities: [INTERNAL_HOST]}, action: redact}
"""


@pytest.fixture(scope="module")
def gateway_and_fake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    folder = tmp_path_factory.mktemp("terms")
    (folder / "codenames.txt").write_text("Nightingale\n\nBlue Heron\n")
    with gateway_stack(folder, policy_text=POLICY) as stack:
        yield stack.server, stack.fake


def ask(gateway, text: str) -> str:
    client = openai.OpenAI(api_key="sk-t", base_url=gateway.url("/openai/v1"), max_retries=0)
    reply = client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": text}]
    )
    return reply.choices[0].message.content or ""


@pytest.mark.parametrize(
    "text",
    ["Phoenix 일정 알려줘", "불사조팀 회의록", "status of blue heron?", "Nightingale launch"],
)
def test_code_names_inline_or_from_a_file_are_blocked(gateway_and_fake, text: str) -> None:
    gateway, fake = gateway_and_fake
    fake.reset()
    with pytest.raises(openai.PermissionDeniedError, match="code-names"):
        ask(gateway, text)
    assert fake.received == []


def test_internal_hosts_and_addresses_are_redacted(gateway_and_fake) -> None:
    gateway, fake = gateway_and_fake
    fake.reset()
    ask(gateway, "why is git.corp.example.com at 10.20.3.4 slow, unlike phoenixville.org?")
    sent = fake.received[0].json()["messages"][0]["content"]
    assert sent == "why is <INTERNAL_HOST> at <INTERNAL_HOST> slow, unlike phoenixville.org?"


def test_dictionary_entity_names_may_not_shadow_built_in_detectors(tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "policy: p\ndetection: {dictionaries: [{entity: KR_RRN, terms: [x]}]}\nrules: []\n"
    )
    with pytest.raises(ConfigError, match="built-in"):
        load_policy(policy, SUPPORTED_ENTITIES)


def test_a_missing_dictionary_file_is_a_clear_error(tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "policy: p\ndetection: {dictionaries: [{entity: X_TERMS, file: nope.txt}]}\nrules: []\n"
    )
    with pytest.raises(ConfigError, match="cannot read dictionary"):
        load_policy(policy, SUPPORTED_ENTITIES)


def test_the_policy_version_changes_when_a_dictionary_file_changes(tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "policy: p\ndetection: {dictionaries: [{entity: X_TERMS, file: t.txt}]}\nrules: []\n"
    )
    (tmp_path / "t.txt").write_text("alpha\n")
    before = load_policy(policy, SUPPORTED_ENTITIES).version
    (tmp_path / "t.txt").write_text("alpha\nbeta\n")
    assert load_policy(policy, SUPPORTED_ENTITIES).version != before
