"""``haetae policy check`` refuses country codes that no request could carry, at their line.

``KOR`` and ``kr`` used to pass and then never match (the catalog says ``KR``),
so a ``deny unless KR`` rule blocked everyone.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.providers.countries import country_codes, country_problem
from tests.policy.test_check_references import check

POLICY = """\
policy: countries
rules:
  - id: only-korea
    when: {{ {fact}: [{code}] }}
    action: block
"""

PROVIDER = """\
policy: countries
providers:
  internal-llm:
    family: openai
    base_url: http://vllm.corp.example:8000
    operator: Example Corp IT
    jurisdiction: {jurisdiction}
    regions: [{region}]
rules:
  - id: internal
    when: {{ provider: [internal-llm] }}
    action: block
"""


@pytest.mark.parametrize(
    "fact",
    ["provider.jurisdiction", "provider.parent_jurisdiction", "provider.regions",
     "endpoint.ip_country", "model.jurisdiction"],
)  # fmt: skip
@pytest.mark.parametrize(
    ("code", "says"),
    [
        ("KOR", "'KOR' is a three-letter code; write the two-letter 'KR'"),
        ("kr", "'kr' must be written in capitals: 'KR'"),
        ("UK", "the United Kingdom is 'GB'"),
        ("XX", "'XX' is not an ISO 3166-1 alpha-2 country code"),
    ],
)
def test_unknown_codes_in_conditions_fail_at_their_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fact: str, code: str, says: str
) -> None:
    status, out = check(tmp_path, POLICY.format(fact=fact, code=code), capsys)
    assert status == 1
    assert f"policy.yaml:4: rules[0] (rule 'only-korea').when.{fact}" in out
    assert says in out


@pytest.mark.parametrize("fact", ["provider.jurisdiction", "provider.regions"])
@pytest.mark.parametrize("code", ["KR", "US", "EU"])
def test_known_codes_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fact: str, code: str
) -> None:
    status, out = check(tmp_path, POLICY.format(fact=fact, code=code), capsys)
    assert status == 0, out


@pytest.mark.parametrize(
    ("jurisdiction", "region", "line", "says"),
    [
        ("KOR", "KR", 7, "write the two-letter 'KR'"),
        ("KR", "kr", 8, "region 'kr' must be written in capitals"),
        ("KR", "ZZ", 8, "region 'ZZ' is not an ISO 3166-1 alpha-2"),
    ],
)
def test_a_declared_provider_with_unknown_places_fails(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    jurisdiction: str,
    region: str,
    line: int,
    says: str,
) -> None:
    text = PROVIDER.format(jurisdiction=jurisdiction, region=region)
    status, out = check(tmp_path, text, capsys)
    assert status == 1
    assert f"policy.yaml:{line}:" in out
    assert says in out


def test_the_table_is_iso_3166_plus_the_eu() -> None:
    codes = country_codes()
    assert {"KR", "US", "CN", "GB", "JP", "TW", "EU"} <= codes
    assert not {"UK", "KOR", "XX"} & codes
    assert 249 <= len(codes) < 260
    assert country_problem("KR") is None
