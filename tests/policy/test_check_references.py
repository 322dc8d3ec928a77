"""``haetae policy check`` checks provider ids against the catalog the policy routes with,
and group names against its own ``groups:``."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.cli import main

DECLARES = """
policy: internal
groups: [engineering, finance]
providers:
  internal-llm:
    family: openai
    base_url: http://vllm.corp.example:8000
    operator: Example Corp IT
    jurisdiction: KR
    regions: [KR]
rules:
  - id: internal-only-for-finance
    when: { provider: [internal-llm], groups: [finance] }
    unless: { groups: [engineering] }
    action: block
"""


def check(tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    code = main(["policy", "check", str(path)])
    return code, capsys.readouterr().out


def test_a_provider_the_policy_declares_is_known(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = check(tmp_path, DECLARES, capsys)
    assert code == 0, out
    assert "0 errors, 0 warnings" in out


def test_a_misspelt_provider_is_still_an_error_naming_the_declared_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    misspelt = DECLARES.replace("provider: [internal-llm]", "provider: [intrnal-llm]")
    code, out = check(tmp_path, misspelt, capsys)
    assert code == 1
    assert "'intrnal-llm' is not a provider in the catalog" in out
    assert "internal-llm" in out.split("known:")[1]  # the policy's own provider is listed


def test_a_declared_provider_in_another_policy_is_unknown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    without = DECLARES.split("providers:")[0] + "rules:" + DECLARES.split("rules:")[1]
    code, out = check(tmp_path, without, capsys)
    assert code == 1
    assert "'internal-llm' is not a provider in the catalog" in out


def test_corrected_facts_are_the_ones_lint_reasons_with(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # With the shipped facts (upstage is KR) this rule could never match.
    rule = (
        "policy: corrected\n"
        "rules:\n"
        "  - id: cn-upstage\n"
        "    when: { provider: [upstage], provider.jurisdiction: [CN] }\n"
        "    action: block\n"
    )
    code, out = check(tmp_path, rule, capsys)
    assert "can never match" in out
    corrected = rule + "providers:\n  upstage: { jurisdiction: CN }\n"
    code, out = check(tmp_path, corrected, capsys)
    assert code == 0 and "can never match" not in out, out


@pytest.mark.parametrize(
    ("where", "old", "new"),
    [
        ("when", "groups: [finance]", "groups: [fnance]"),
        ("unless", "groups: [engineering]", "groups: [enginering]"),
    ],
)
def test_an_undeclared_group_is_an_error_with_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str, old: str, new: str
) -> None:
    code, out = check(tmp_path, DECLARES.replace(old, new), capsys)
    assert code == 1
    assert f"rule 'internal-only-for-finance').{where}.groups[0]" in out
    assert "is not in the policy's 'groups' list" in out
