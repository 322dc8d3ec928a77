"""Every declared fact, walked through every use: schema, compiler, live read, dry run,
test cases and explain.

A row below says, for one fact, a condition on it and how a live request, an
audit record and a test case's sketch come to satisfy it. Each test runs the
row both ways — with the fact present and on a plain request that lacks it —
so a fact that one of the uses silently ignores fails here. A new fact without
a row fails ``test_every_fact_has_a_row``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import pytest
import yaml

from gateway.attachments.result import UninspectableAttachment
from gateway.audit import AuditRecord
from gateway.errors import ConfigError
from gateway.exchange import Exchange
from gateway.identity import Subject
from gateway.policy import PolicyInput, parse_policy
from gateway.policy.cases import Sketcher, check_case
from gateway.policy.evaluate import CompiledPolicy
from gateway.policy.explain import explain
from gateway.policy.fact_table import FACTS, Fact, read_input, rebuild_input
from gateway.policy.schema import PolicyTest, json_schema
from gateway.providers.catalog import build_providers, load_catalog
from gateway.providers.dialect import Segment
from gateway.providers.endpoints import resolve_endpoint
from gateway.providers.webapps import WEB_APP_API, WEB_APP_ENDPOINT
from gateway.rollout import dryrun

CATALOG = load_catalog()
PROVIDERS = build_providers(CATALOG, {}, {})
KNOWN = {"KR_RRN", "EMAIL_ADDRESS"}
KIM = Subject("kim@corp.example", ("staff",), "10.1.2.3", "Cursor/0.42", "api_key")
_ids = itertools.count()


@dataclass(frozen=True)
class Row:
    """A condition on the fact, and what a live request, a record and a sketch carry to meet it."""

    condition: Any
    live: dict[str, Any] = field(default_factory=dict)  # Exchange attributes
    record: dict[str, Any] = field(default_factory=dict)  # AuditRecord attributes
    sketch: dict[str, Any] = field(default_factory=dict)  # RequestSketch keys
    provider: str = "openai"  # where the request goes (the plain request: openai)


ROWS: dict[str, Row] = {
    "user": Row(
        ["*@corp.example"],
        {"subject": KIM},
        {"user": "kim@corp.example"},
        {"user": "kim@corp.example"},
    ),
    "groups": Row(["staff"], {"subject": KIM}, {"groups": ["staff"]}, {"groups": ["staff"]}),
    "source": Row(
        ["10.0.0.0/8"], {"subject": KIM}, {"client_address": "10.1.2.3"}, {"source": "10.1.2.3"}
    ),
    "client_app": Row(
        ["cursor*"],
        {"subject": KIM},
        {"client_application": "Cursor/0.42"},
        {"client_app": "Cursor/0.42"},
    ),
    "anonymous": Row(False, {"subject": KIM}, {"user": "kim"}, {"user": "kim"}),
    "provider": Row(["deepseek"], provider="deepseek", sketch={"provider": "deepseek"}),
    "provider.jurisdiction": Row(["CN"], provider="deepseek", sketch={"provider": "deepseek"}),
    "provider.parent_jurisdiction": Row(
        ["CN"], provider="dashscope-intl", sketch={"provider": "dashscope-intl"}
    ),
    "provider.regions": Row(["CN"], provider="deepseek", sketch={"provider": "deepseek"}),
    "host": Row(
        ["*.deepseek.com"],
        provider="deepseek",
        record={"host": "api.deepseek.com"},
        sketch={"provider": "deepseek"},
    ),
    "endpoint.ip_country": Row(
        ["CN"],
        {"endpoint_country": "US,CN"},
        {"endpoint_country": "CN"},
        {"endpoint_country": "CN"},
    ),
    "api": Row(
        ["embeddings"],
        {"endpoint": resolve_endpoint("openai", "POST", "/v1/embeddings")},
        {"api": "embeddings"},
        {"api": "embeddings"},
    ),
    "model": Row(["o3*"], {"model": "o3-mini"}, {"model": "o3-mini"}, {"model": "o3-mini"}),
    "web_app": Row(
        True,
        {"endpoint": WEB_APP_ENDPOINT},
        {"api": WEB_APP_API},
        {"web_app": ["chatgpt"]},
    ),
    "model.operator": Row(
        ["deepseek"],
        {"model": "deepseek/deepseek-chat"},
        {"model": "deepseek/deepseek-chat"},
        {"model": "deepseek/deepseek-chat"},
        provider="openrouter",
    ),
    "model.jurisdiction": Row(
        ["CN"],
        {"model": "Qwen/Qwen2.5-72B-Instruct"},
        {"model": "Qwen/Qwen2.5-72B-Instruct"},
        {"model": "Qwen/Qwen2.5-72B-Instruct"},
        provider="together",
    ),
    "model.routed_to_developer": Row(
        True,
        {"model": "deepseek/deepseek-chat", "document": {"provider": {"order": ["together"]}}},
        {"model": "deepseek/deepseek-chat"},
        {
            "provider": "openrouter",
            "model": "deepseek/deepseek-chat",
            "routing": {"order": ["together"]},  # fallbacks stay on: not pinned
        },
        provider="openrouter",
    ),
    "entities": Row(
        ["KR_RRN"],
        {"entity_counts": {"KR_RRN": 1}},
        {"entities": {"KR_RRN": 1}},
        {"entities": {"KR_RRN": 1}},
    ),
    "prompt_chars": Row(
        {"min": 10},
        {"segments": [Segment(("messages", 0, "content"), "x" * 20)]},
        sketch={"prompt_chars": 20},
    ),
    "attachments": Row(
        True,
        {"attachments": ("image",)},
        {"details": {"attachments": ["image"]}},
        {"attachments": ["image"]},
    ),
    "uninspectable_attachments": Row(
        ["encrypted"],
        {"uninspectable": [UninspectableAttachment("encrypted", "a.pdf", "pdf")]},
        {"details": {"uninspectable_attachments": ["encrypted"]}},
        {"uninspectable_attachments": ["encrypted"]},
    ),
    "server_references": Row(
        True,
        {"server_references": ("file_id",)},
        {"details": {"server_references": ["file_id"]}},
        {"server_references": ["file_id"]},
    ),
}


def one_rule(fact: Fact, row: Row) -> CompiledPolicy:
    condition = yaml.safe_dump({fact.key: row.condition}, default_flow_style=True).strip()
    text = f"policy: p\nrules:\n  - id: r\n    when: {condition}\n    action: block\n"
    return parse_policy(text.encode(), KNOWN)


def live(row: Row | None) -> PolicyInput:
    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    policy = parse_policy(b"policy: empty\n", KNOWN)
    ex = Exchange("id", "POST", "/openai/v1/chat/completions", b"", [], None, receive, policy)
    ex.endpoint = resolve_endpoint("openai", "POST", "/v1/chat/completions")
    ex.model = "gpt-4o"
    for name, value in (row.live if row else {}).items():
        setattr(ex, name, value)
    return read_input(ex, PROVIDERS[row.provider if row else "openai"])


def recorded(row: Row | None) -> AuditRecord:
    number = next(_ids)
    record = AuditRecord(
        record_id=f"r{number}",
        time=1000.0 + number,
        request_id=f"q{number}",
        client_address=None,
        user=None,
        provider=row.provider if row else "openai",
        api="chat",
        model="gpt-4o",
        method="POST",
        path="/v1/chat/completions",
        decision="allow",
    )
    for name, value in (row.record if row else {}).items():
        setattr(record, name, value)
    return record


def sketched(policy: CompiledPolicy, row: Row | None) -> str:
    case = PolicyTest.model_validate(
        {"name": "c", "request": row.sketch if row else {}, "expect": {"action": "block"}}
    )
    result = check_case(policy, case, Sketcher(policy, CATALOG, KNOWN))
    assert result.decision is not None, result.problems
    return result.decision.action


FACT_IDS = [f.key for f in FACTS]


def test_every_fact_has_a_row() -> None:
    assert set(ROWS) == set(FACT_IDS), "add a row for each new fact"


def test_every_policy_input_field_belongs_to_a_fact() -> None:
    owned = {f.attr for f in FACTS} | {a.attr for f in FACTS for a in f.also}
    assert set(PolicyInput._fields) == owned


@pytest.mark.parametrize("fact", FACTS, ids=FACT_IDS)
def test_the_schema_declares_it(fact: Fact) -> None:
    condition = json_schema()["$defs"]["Condition"]["properties"]
    assert fact.key in condition
    assert (fact.sketch.key or fact.field) in json_schema()["$defs"]["RequestSketch"]["properties"]


@pytest.mark.parametrize("fact", FACTS, ids=FACT_IDS)
def test_it_compiles_and_is_read_from_a_live_request(fact: Fact) -> None:
    policy = one_rule(fact, ROWS[fact.key])
    assert policy.decide(live(ROWS[fact.key])).action == "block"
    assert policy.decide(live(None)).action == "allow"


@pytest.mark.parametrize("fact", FACTS, ids=FACT_IDS)
def test_it_is_rebuilt_from_an_audit_record_or_declared_absent(fact: Fact) -> None:
    row = ROWS[fact.key]
    policy = one_rule(fact, row)
    providers = PROVIDERS
    rebuilt = dryrun.reconstruct(recorded(row), providers)
    assert rebuilt is not None
    if fact.rebuild is None:
        # not recorded: a dry run sees the fact as absent, and says so
        absent = rebuild_input(recorded(None), providers["openai"])
        assert getattr(rebuilt, fact.attr) == getattr(absent, fact.attr)
        assert f"``{fact.key}``" in (dryrun.__doc__ or "")
        return
    assert policy.decide(rebuilt).action == "block"
    plain = dryrun.reconstruct(recorded(None), providers)
    assert plain is not None and policy.decide(plain).action == "allow"


@pytest.mark.parametrize("fact", FACTS, ids=FACT_IDS)
def test_a_test_case_sets_it(fact: Fact) -> None:
    policy = one_rule(fact, ROWS[fact.key])
    assert sketched(policy, ROWS[fact.key]) == "block"
    assert sketched(policy, None) == "allow"


@pytest.mark.parametrize("fact", FACTS, ids=FACT_IDS)
def test_explain_shows_the_test_and_the_request_value(fact: Fact) -> None:
    policy = one_rule(fact, ROWS[fact.key])
    _, report = explain(policy, live(ROWS[fact.key]))
    (line,) = [line for line in report.splitlines() if f" {fact.key}: " in line]
    assert line.strip().startswith(f"✓ {fact.key}: ")
    assert not line.endswith("(request: none)")  # the value the request had is shown
    _, report = explain(policy, live(None))
    assert f"✗ {fact.key}: " in report


@pytest.mark.parametrize("fact", FACTS, ids=FACT_IDS)
def test_a_misspelt_key_is_refused_where_it_is_written(fact: Fact) -> None:
    typo = fact.key + "s"
    text = f"policy: p\nrules:\n  - id: r\n    when: {{{typo}: true}}\n    action: block\n"
    with pytest.raises(ConfigError) as error:
        parse_policy(text.encode(), KNOWN)
    assert f"<policy>:4: rules[0] (rule 'r').when.{typo}: unknown key" in str(error.value)
