"""Document fingerprints: a registered passage found however it is pasted; prose that
merely shares common phrases is not."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from gateway.detect.company import DOCUMENT_ENTITIES
from gateway.detect.company.code import code_tokens
from gateway.detect.company.documents import PROSE, DocumentIndexBuilder
from gateway.detect.company.index import CompanyIndex
from gateway.detect.company.recognizers import CompanyRecognizer
from gateway.detect.company.tokens import Words
from tests.detect.company.support import KEY

PLAN = (
    "The quarterly revenue forecast for Project Aurora assumes that the Busan plant reaches "
    "full capacity by March, that the new supplier contract lowers unit costs by twelve "
    "percent, and that the marketing budget stays flat while the sales team grows by four "
    "people in the second half of the year. If the supplier misses its first delivery "
    "window, the launch moves to the autumn and the board will be asked to approve a "
    "bridge loan of forty million dollars from the existing lenders."
)
KOREAN = (
    "2027년 상반기 구조조정 계획에 따르면 부산 공장의 생산 라인 두 곳을 통합하고 인천 물류센터의 "
    "야간 근무를 폐지하며 영업 조직을 지역별에서 고객군별로 재편한다. "
    "인력 감축 규모는 약 120명으로 "
    "희망퇴직을 우선 시행하고 부족분은 재배치로 충당하며 노동조합과의 협의는 3월 말까지 마친다."
)
PRICING = '''
def compute_discount(customer, basket, today):
    """Loyalty pricing: never shown to customers."""
    total = 0
    for item in basket.items:
        if item.price > 100 and customer.tier == "gold":
            total += item.price * 0.85  # gold customers get 15%
        elif item.category in SEASONAL and today.month in (11, 12):
            total += item.price * 0.9
        else:
            total += item.price
    if total > 1000:
        total -= customer.loyalty_points // 10
    return round(total, 2)
'''
RENAMED = """
def calc(c, b, d):
    t = 0
    for it in b.items:
        if it.price > 100 and c.tier == "gold": t += it.price * 0.85
        elif it.category in SEASON and d.month in (11, 12): t += it.price * 0.9
        else: t += it.price
    if t > 1000: t -= c.loyalty_points // 10
    return round(t, 2)
"""


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> CompanyIndex:
    folder = tmp_path_factory.mktemp("documents")
    documents = DocumentIndexBuilder(KEY)
    documents.add("strategy/aurora-forecast.docx", PLAN, "document", as_code=False)
    documents.add("hr/restructuring-2027.hwp", KOREAN, "document", as_code=False)
    documents.write(folder / "documents" / "plans", "plans")
    code = DocumentIndexBuilder(KEY)
    code.add("shop/pricing.py", PRICING, "source_code", as_code=True)
    code.write(folder / "documents" / "repo", "repo")
    return CompanyIndex.open(folder, KEY)


def found(index: CompanyIndex, text: str, min_tokens: int = 30) -> list[tuple[str, str, int]]:
    recognizer = CompanyRecognizer(index, DOCUMENT_ENTITIES, min_tokens=min_tokens)
    return [
        (
            r.entity_type,
            str(r.recognition_metadata["company_source"]),
            int(r.recognition_metadata["company_matched"]),
        )
        for r in recognizer.analyze(text, [])
    ]


def count(text: str) -> int:
    return len(Words.of(text).tokens())


def reflow(text: str) -> str:
    """The same words, re-wrapped, re-cased and re-punctuated."""
    words = text.replace(",", " ;").split()
    lines = [" ".join(words[i : i + 7]) for i in range(0, len(words), 7)]
    return "\n   ".join(lines).upper()


def test_a_pasted_paragraph_is_found_and_named(index) -> None:
    text = f"Can you tighten this paragraph?\n\n{PLAN[:400]}\n\nThanks!"
    [(entity, source, tokens)] = found(index, text)
    assert (entity, source) == ("COMPANY_DOCUMENT", "strategy/aurora-forecast.docx")
    assert 55 <= tokens <= 70  # the 400 characters hold 67 words


def test_a_reformatted_paragraph_is_found(index) -> None:
    assert [s for _, s, _ in found(index, "요약해줘: " + reflow(PLAN))] == [
        "strategy/aurora-forecast.docx"
    ]


def test_a_korean_passage_is_found(index) -> None:
    text = "다음 내용을 영어로 번역해 주세요.\n" + KOREAN.replace(" ", "  ").replace(". ", ".\n")
    [(entity, source, tokens)] = found(index, text, min_tokens=25)
    assert (entity, source) == ("COMPANY_DOCUMENT", "hr/restructuring-2027.hwp")
    assert count(KOREAN) - PROSE.slack <= tokens <= count(KOREAN)


def test_a_function_with_renamed_variables_is_found_as_source_code(index) -> None:
    [(entity, source, tokens)] = found(index, "Why is this slow?\n```python" + RENAMED + "```")
    assert (entity, source) == ("COMPANY_SOURCE_CODE", "shop/pricing.py")
    assert tokens >= 60


def test_the_finding_spans_the_passage_only(index) -> None:
    prefix = "Please proofread the following. "
    text = prefix + PLAN + " That is all."
    [result] = CompanyRecognizer(index, DOCUMENT_ENTITIES, min_tokens=30).analyze(text, [])
    # within the passage, short of it by at most the winnowing slack at either end
    assert len(prefix) <= result.start and result.end <= len(prefix) + len(PLAN)
    covered = count(text[result.start : result.end])
    assert covered >= count(PLAN) - PROSE.slack


def test_a_passage_shorter_than_min_tokens_is_not_reported(index) -> None:
    short = " ".join(PLAN.split()[:20])
    assert found(index, short, min_tokens=30) == []
    assert found(index, PLAN, min_tokens=200) == []


UNRELATED = (
    "The quarterly report for the second half of the year shows that the sales team grows "
    "steadily. We assume that the marketing budget stays flat in the first quarter, and the "
    "board will be asked to approve the plan in March. In the second half of the year, the "
    "new supplier contract and the existing lenders are reviewed by the sales team as usual."
)


def test_unrelated_text_sharing_common_phrases_is_not_reported(index) -> None:
    assert found(index, UNRELATED) == []
    generic = (
        "def total(items):\n    result = 0\n    for item in items:\n"
        "        result += item\n    return result\n"
    )
    assert found(index, generic * 3) == []


def test_only_the_chosen_entity_types_are_reported(index) -> None:
    recognizer = CompanyRecognizer(index, ["COMPANY_DOCUMENT"], min_tokens=30)
    assert recognizer.analyze(RENAMED, []) == []
    assert recognizer.analyze(PLAN, [])


def test_nothing_of_the_text_is_kept(tmp_path: Path) -> None:
    builder = DocumentIndexBuilder(KEY)
    builder.add("plan.txt", PLAN, "document", as_code=False)
    builder.write(tmp_path / "documents" / "d", "d")
    blob = b"".join(p.read_bytes() for p in (tmp_path / "documents" / "d").iterdir())
    for word in {w.strip(".,").lower() for w in PLAN.split() if len(w) > 3}:
        assert word.encode() not in blob.lower(), word
    meta = json.loads((tmp_path / "documents" / "d" / "meta.json").read_text())
    assert meta["sources"] == [
        {"name": "plan.txt", "kind": "document", "code": False, "tokens": count(PLAN)}
    ]


def test_boilerplate_shared_by_many_documents_is_dropped(tmp_path: Path) -> None:
    builder = DocumentIndexBuilder(KEY)
    for number in range(25):
        builder.add(f"f{number}.txt", PLAN, "document", as_code=False)
    builder.add("own.txt", UNRELATED, "document", as_code=False)
    builder.write(tmp_path / "documents" / "d", "d")
    index = CompanyIndex.open(tmp_path, KEY)
    assert found(index, PLAN) == []
    assert [s for _, s, _ in found(index, UNRELATED)] == ["own.txt"]


def test_a_git_working_tree_registers_its_tracked_files(tmp_path: Path, monkeypatch) -> None:
    from gateway.cli import main

    repo = tmp_path / "repo"
    (repo / "src").mkdir(parents=True)
    (repo / "src" / "pricing.py").write_text(PRICING)
    (repo / "notes.txt").write_text(PLAN)
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "src/pricing.py"], check=True)
    subprocess.run([*git, "commit", "-qm", "x"], check=True)
    monkeypatch.setenv("HAETAE_COMPANY_KEY", KEY.decode())
    args = ["company", "register-documents", "--index-dir", str(tmp_path / "idx")]
    assert main([*args, "code", str(repo), "--git", "--kind", "source_code"]) == 0
    index = CompanyIndex.open(tmp_path / "idx", KEY)
    assert index.collections["code"].names == ["repo/src/pricing.py"]
    assert [s for _, s, _ in found(index, RENAMED)] == ["repo/src/pricing.py"]


def test_code_tokens_are_linear_on_unclosed_strings_and_comments() -> None:
    hostile = "/* \"\"\" ''' " * 20_000 + '"' + "a" * 5_000
    assert code_tokens(hostile).words == []  # one comment, unclosed: read once, to the end
    assert code_tokens('x """ /* ' * 20_000).words == ["\x01id", "\x01str"]
    assert code_tokens("a /* never closed").words == ["\x01id"]
    assert code_tokens('x = """never closed').words == ["\x01id", "=", "\x01str"]
    assert code_tokens("s = `t ${a}`").words[2] == "`"


@pytest.mark.parametrize("keep_comments", [False, True])
def test_the_fast_code_reading_gives_the_tokens_of_the_full_one(keep_comments: bool) -> None:
    from gateway.detect.company.code import code_words

    for text in (RENAMED, PRICING, "x = `a` + 'b' // c\\n# d\\ny -- e\\nz==1.5e3;"):
        assert code_words(text, keep_comments) == code_tokens(text, keep_comments).words


def test_the_fast_code_reading_agrees_on_random_code_like_text() -> None:
    import random

    from gateway.detect.company.code import code_words

    pieces = ['"', "'", "#", "//", "-- ", "--", "/", "\\", "\n", " ", "a", "If", "x1", "1.5e3"]
    pieces += [
        "é",
        "٣",
        "²",
        "Ⅻ",
        "\u0301",
        "_",
        "=",
        ",",
        ";",
        "(",
        "RETURN",
        "self",
        "K",
        "İ",
        "ß",
        "``",
    ]
    rng = random.Random(20261207)
    for _ in range(5_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
        assert code_words(text) == code_tokens(text).words, text


def test_runs_cut_in_python_are_those_cut_in_numpy(index, monkeypatch) -> None:
    """A few fingerprints are cut into runs with a sort, many with numpy: both agree."""
    texts = [
        f"{PLAN[:400]} 그리고 {KOREAN} 또 {PRICING}",
        reflow(PLAN) + "\n\n" + PLAN[200:900],
        PLAN[:150],
    ]
    few = [found(index, text, 10) for text in texts]
    monkeypatch.setattr("gateway.detect.company.documents._FEW_ENTRIES", -1)
    assert [found(index, text, 10) for text in texts] == few
    assert sum(map(len, few)) >= 4
