"""Document classification markings (CONFIDENTIAL_MARKER): ``[대외비]``, ``INTERNAL USE ONLY``.

The marking words are ordinary vocabulary too: 비밀번호 is "password", 기밀성 is
"confidentiality", and people ask what "confidential" means. What makes a marking is how the
word is written, so every candidate is scored from its surroundings (first rule that applies):

* not reported: compounds (비밀번호, 비밀리에, 극비리, 기밀성, 기밀/비밀 유지, 비밀키, 대외비용,
  취급주의사항), words inside identifiers (``SECRET_KEY``, ``cfg.secret``, ``SECRET = ...``),
  and lower- or title-case single English words with no structural signal (``secret sauce``);
* 0.95 enclosed (``[대외비]``, ``【기밀】``, ``<CONFIDENTIAL>``, ``**Confidential**``) or alone on
  its line apart from decoration (``=== INTERNAL USE ONLY ===``, ``# 대외비``);
* 0.9 label: first on its line and followed by ``:``/``|``/`` - ``, last on its line after
  one, or after a classification key (``Classification:``, ``보안등급:``, ``classified as``,
  ``marked``);
* 0.9 classification sentence: ``본 문서는 대외비입니다``, ``This document is confidential``;
* ≤ 0.3 when quoted (``"대외비"``) or asked about (뜻, 이란, what does ... mean): a mention;
  also a class of documents as the topic of a question (``대외비 문서는 어떻게 관리하나요?``,
  ``기밀 자료의 보관 기간은?``) unless a demonstrative points at one (``이 대외비 문서는 …``);
* ``Internal`` only as a classification level after a classification key
  (``Classification: Internal``, ``등급: Internal``) → 0.9, otherwise not a candidate;
* 0.85 English in capitals within mixed-case or Korean text (``this CONFIDENTIAL deck``;
  0.7 for the everyday words SECRET and RESTRICTED); distinctive Korean (대외비, 사외비, 극비,
  사내한정, 대외주의, 사외 유출 금지, N급 비밀) first on a line or before 문서/자료;
* 0.6 distinctive Korean elsewhere; 기밀/비밀/내부용/취급주의/보안문서 before 문서/자료; English
  phrases that are markings in any case (``for internal use only``, ``do not distribute``,
  ``proprietary and confidential``) and Title Case phrases; ``under NDA``;
* 0.3 (informational) bare (사내) 기밀/비밀/내부용/취급주의/보안문서 and NDA mid-sentence.

Markings written together (``CONFIDENTIAL - do not distribute``) are joined into one finding
with the higher score: a marking and its caveat are one label, not two documents' worth.

No context words: the window enhancer would lift the informational 0.3 over 0.5.
"""

from __future__ import annotations

import re
from typing import Final

from presidio_analyzer import AnalysisExplanation, EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from gateway.detect.recognizers.markings.mentions import asked_about, class_question

__all__ = ["ENTITY", "ConfidentialMarkerRecognizer"]

ENTITY: Final = "CONFIDENTIAL_MARKER"

_SP = r"[ \t]+"
_EN_TERMS = (
    rf"for{_SP}internal{_SP}use{_SP}only",
    rf"internal{_SP}use{_SP}only",
    rf"proprietary{_SP}(?:and|&){_SP}confidential",
    rf"(?:strictly|highly|company){_SP}confidential",
    rf"top{_SP}secret",
    rf"do{_SP}not{_SP}distribute",
    rf"internal{_SP}only",
    "internal",
    "confidential",
    "restricted",
    "secret",
    "nda",
)
_KO_TERMS = (
    r"(?<![0-9A-Za-z])(?:[ⅠⅡⅢ]|III|II|I|[123])[ \t]?급[ \t]?비밀",
    r"(?:일|이|삼)급비밀",
    r"사내[ \t]?한정",
    r"사내[ \t]?기밀",
    r"사외[ \t]?유출[ \t]?금지",
    "대외비",
    "사외비",
    "대외주의",
    "취급주의",
    "보안문서",
    "내부용",
    "극비",
    "기밀",
    "비밀",
)
# "_" counts as a word character for English: SECRET_KEY and client_secret are identifiers.
_TERMS: Final = re.compile(
    r"(?<![0-9A-Za-z_])(?P<en>"
    + "|".join(_EN_TERMS)
    + r")(?![0-9A-Za-z_])|(?P<ko>"
    + "|".join(_KO_TERMS)
    + ")",
    re.IGNORECASE,
)
#: Lower-cased substrings one of which every candidate contains: most prompts have none.
_GATE: Final = (
    "confidential",
    "restricted",
    "secret",
    "nda",
    "internal",
    "distribute",
    "기밀",
    "비밀",
    "대외",
    "사외",
    "사내",
    "극비",
    "취급주의",
    "내부용",
    "보안문서",
)

_DISTINCTIVE_KO: Final = frozenset(
    {"대외비", "사외비", "극비", "사내한정", "대외주의", "사외유출금지"}
)
_DISTINCTIVE_EN: Final = frozenset(
    {
        "FOR INTERNAL USE ONLY",
        "INTERNAL USE ONLY",
        "PROPRIETARY AND CONFIDENTIAL",
        "PROPRIETARY & CONFIDENTIAL",
        "DO NOT DISTRIBUTE",
    }
)
_EVERYDAY_CAPS: Final = frozenset({"SECRET", "RESTRICTED"})

# Word continuations that turn a marking word into another word.
_KO_COMPOUND: Final = {
    "비밀": re.compile(
        r"(?:번호|리|스럽|스러|스런|키|글|결사|병기|요원|투표|의\s*숲|"
        r"[ \t]?(?:번호|유지|보장|보호|누설|엄수|준수|서약|협약|연애))"
    ),
    "기밀": re.compile(r"(?:성|비|[ \t]?(?:유지|보장|보호|누설|엄수|준수|서약|협약))"),
    "극비": re.compile(r"리"),
    "대외비": re.compile(r"용"),
    "사외비": re.compile(r"용"),
    "사내기밀": re.compile(r"(?:성|[ \t]?(?:유지|보장|보호|누설|엄수|준수|서약|협약))"),
    "취급주의": re.compile(r"[ \t]?사항"),
}
_CODE_BEFORE: Final = re.compile(r"[.$@/\\]$")
_CODE_AFTER: Final = re.compile(r"^(?:\s*=(?!=)|\(|\.\w|::)")

_QUOTES: Final = frozenset("\"'`“”‘’")
_OPEN_CLOSE: Final = {
    "[": "]",
    "【": "】",
    "<": ">",
    "(": ")",
    "〔": "〕",
    "「": "」",
    "『": "』",
    "《": "》",
    "〈": "〉",
    "［": "］",
    "（": "）",
    "{": "}",
}
_DECORATION: Final = (
    " \t\r\x00*=#-_~|>•·+.:：!/" + "".join(_OPEN_CLOSE) + "".join(_OPEN_CLOSE.values())
)
_EMPHASIS: Final = " \t*_"

_LABEL_AFTER: Final = re.compile(r"^[ \t]*(?:[:：|/]|[-–—][ \t]|[-–—]$)")
_LABEL_BEFORE: Final = re.compile(r"(?:[:：|]|[ \t][-–—])[ \t]*$")
_KEY_BEFORE: Final = re.compile(
    r"(?:classification|classified[ \t]+as|security[ \t]+(?:level|classification)|"
    r"sensitivity(?:[ \t]+label)?|보안[ \t]?등급|보안[ \t]?분류|문서[ \t]?등급|문서[ \t]?분류|"
    r"비밀[ \t]?등급|\bmarked(?:[ \t]+as)?|\blabell?ed(?:[ \t]+as)?)[ \t]*[:：=]?[ \t]*$|"
    r"(?:등급|분류|label|marking|level)[ \t]*[:：=][ \t]*$",
    re.IGNORECASE,
)
_KO_SUBJECT: Final = re.compile(
    r"(?:본|이|해당|첨부(?:된|한)?|아래|위|다음)[ \t]*"
    r"(?:문서|자료|메일|이메일|파일|보고서|내용|정보|문건|슬라이드|데이터|계약서|첨부[ \t]*파일)"
    r"(?:은|는|이|가|도)?[ \t]*(?:\S+[ \t]+)?$"
)
_KO_COPULA: Final = re.compile(
    r"(?:입니다|이다|이에요|예요|이야|임|이며|이고|이니|이므로|이라|이?다|이?니|이?므로|"
    r"이?며|이?고|이?라|으?로|에[ \t]?해당|[ \t]*[.!,]|[ \t]*$)"
)
_EN_SUBJECT: Final = re.compile(
    r"\b(?:this|the|these|that|attached|enclosed|following)[ \t]+(?:[\w-]+[ \t]+){0,2}?"
    r"(?:document|doc|e-?mail|mail|message|file|material|information|info|presentation|"
    r"report|deck|memo|slide|attachment|content|data|page|spreadsheet|communication|"
    r"transmission|thread|conversation)s?"
    r"(?:[ \t]+and[ \t]+(?:any|all|its)[ \t]+attachments?)?[ \t]+"
    r"(?:is|are|was|were|remains?|contains?|includes?)[ \t]+"
    r"(?:(?:strictly|highly|also|considered|deemed|marked|classified|treated|as)[ \t]+)*$",
    re.IGNORECASE,
)
_NDA_CONTEXT: Final = re.compile(
    r"(?:under|covered[ \t]+by|subject[ \t]+to|bound[ \t]+by|per)[ \t]+(?:an?[ \t]+|the[ \t]+"
    r"|our[ \t]+)?$",
    re.IGNORECASE,
)
_KO_DOCUMENT_AFTER: Final = re.compile(
    r"^(?:[ \t]?(?:문서|자료|문건|보고서|파일|사항|정보)|[ \t]+[-–—][ \t])"
)
# A classification level that is a marking only as the value of a classification key
# (``Classification: Internal``): elsewhere "internal" is ordinary English and code.
_LEVEL_ONLY_AFTER_KEY: Final = frozenset({"INTERNAL"})
_LEVEL_KEY_BEFORE: Final = re.compile(
    r"(?:(?:data[ \t]+|security[ \t]+|document[ \t]+)?classification|security[ \t]+level|"
    r"sensitivity(?:[ \t]+label)?|보안[ \t]?등급|보안[ \t]?분류|문서[ \t]?등급|문서[ \t]?분류|"
    r"비밀[ \t]?등급|등급)[ \t]*[:：=][*_ \t]*$|\bclassified[ \t]+as[ \t]+$",
    re.IGNORECASE,
)
#: Characters either side of a candidate that its tests read (the rest of a long line is
#: not looked at, so scoring a candidate costs a bounded amount whatever the line's length).
_WINDOW: Final = 128
_JOINED: Final = "; joined with the adjacent marking"
#: What may stand between two markings that are one: ``CONFIDENTIAL - do not distribute``.
_JOINER: Final = re.compile(r"[ \t]*(?:[-–—/|·,]|and|&)?[ \t]*", re.IGNORECASE)


class ConfidentialMarkerRecognizer(EntityRecognizer):
    """Report classification markings, scored by how the word is written (module docstring)."""

    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(supported_entities=[ENTITY], supported_language=supported_language)

    def load(self) -> None:
        """Nothing to load: the patterns are module constants."""

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
    ) -> list[RecognizerResult]:
        """Return one result per marking candidate that is not a compound or identifier."""
        if entities and ENTITY not in entities:
            return []
        lowered = text.lower()
        if not any(marker in lowered for marker in _GATE):
            return []
        spans: list[tuple[int, int, float, str]] = []
        for match in _TERMS.finditer(text):
            scored = _score(text, match)
            if scored is None:
                continue
            score, reason = scored
            spans.append((match.start(), match.end(), score, reason))
        return [
            RecognizerResult(
                entity_type=ENTITY,
                start=start,
                end=end,
                score=score,
                analysis_explanation=AnalysisExplanation(
                    recognizer=type(self).__name__,
                    original_score=score,
                    textual_explanation=reason,
                ),
            )
            for start, end, score, reason in _joined(text, spans)
        ]


def _joined(
    text: str, spans: list[tuple[int, int, float, str]]
) -> list[tuple[int, int, float, str]]:
    """Merge markings written as one (``CONFIDENTIAL - do not distribute``): one finding each.

    A marking and its handling caveat are one label on the page; two findings would count
    the caveat as a second document marking. The merged span keeps the higher score.
    """
    out: list[tuple[int, int, float, str]] = []
    for start, end, score, reason in spans:
        if out and _JOINER.fullmatch(text, out[-1][1], start):
            first_start, _, first_score, first_reason = out[-1]
            best = first_reason if first_score >= score else reason
            if not best.endswith(_JOINED):  # once: a run of markings must not grow it
                best += _JOINED
            out[-1] = (first_start, end, max(first_score, score), best)
        else:
            out.append((start, end, score, reason))
    return out


def _canonical(word: str) -> str:
    return " ".join(word.split()).upper()


def _score(text: str, match: re.Match[str]) -> tuple[float, str] | None:
    """Score one candidate, or None when it is not a marking word at all."""
    start, end = match.span()
    word = match.group()
    english = match.group("en") is not None
    key = _canonical(word)
    compact = key.replace(" ", "")
    # The line around the word, cut to _WINDOW characters either side: every test below
    # reads a few words next to the word, and an unbounded line would make a text of many
    # candidates on one line cost its length squared (`대외비 ` x 4,000: 5 s).
    line_start = text.rfind("\n", max(0, start - _WINDOW), start) + 1 or max(0, start - _WINDOW)
    line_end = text.find("\n", end, end + _WINDOW)
    if line_end == -1:
        line_end = min(len(text), end + _WINDOW)
    before = text[line_start:start]
    after = text[end:line_end]

    if key in _LEVEL_ONLY_AFTER_KEY:
        if _LEVEL_KEY_BEFORE.search(before) and not _CODE_AFTER.match(after):
            return 0.9, "classification level after a classification key"
        return None

    # Not the marking word: a longer word or an identifier.
    if not english:
        compound = _KO_COMPOUND.get(compact)
        if compound is not None and compound.match(after):
            return None
    elif _CODE_BEFORE.search(before) or _CODE_AFTER.match(after):
        return None

    if before[-1:] in _QUOTES and after[:1] in _QUOTES:
        return 0.3, "quoted: a mention of the word"
    if _enclosed(before, after, key, english and word.islower()):
        return 0.95, "enclosed in brackets or emphasis"
    head = before.strip(_DECORATION)
    tail = after.strip(_DECORATION)
    if not head and not tail:
        return 0.95, "alone on its line"
    if (not head and _LABEL_AFTER.match(after)) or (not tail and _LABEL_BEFORE.search(before)):
        return 0.9, "label position"
    if _KEY_BEFORE.search(before):
        return 0.9, "after a classification key"
    if english:
        if _EN_SUBJECT.search(before) and key not in ("SECRET", "NDA"):
            return 0.9, "classification sentence"
    elif _KO_SUBJECT.search(before) and _KO_COPULA.match(after):
        return 0.9, "classification sentence"

    scored = _english(word, key, before, after) if english else _korean(compact, head, after)
    if scored is None:
        return None
    if scored[0] > 0.3 and asked_about(text, start, end, line_start, line_end, after):
        return 0.3, "asked about: a mention of the word"
    if scored[0] > 0.3 and not english and class_question(before, after):
        return 0.3, "a question about a class of documents: a concept use"
    return scored


def _enclosed(before: str, after: str, key: str, lower_english: bool) -> bool:
    """Brackets around the word, or matching ``**``/``__`` emphasis.

    Lower-case English counts only in square or round brackets: ``<secret>`` is a tag,
    ``{secret}`` a template field, ``*secret*`` prose emphasis.
    """
    left = before.rstrip(_EMPHASIS)
    right = after.lstrip(_EMPHASIS)
    opener = left[-1:]
    if opener and right[:1] == _OPEN_CLOSE.get(opener):
        if lower_english and opener in "<{〈《":
            return False
        # "Non-Disclosure Agreement (NDA)" spells the acronym out; it does not mark anything.
        return not (key == "NDA" and opener in "(（")
    if lower_english:
        return False
    emphasis = before[len(left) :].strip()
    return len(emphasis) >= 1 and after[: len(after) - len(right)].strip() == emphasis[::-1]


def _english(word: str, key: str, before: str, after: str) -> tuple[float, str] | None:
    if key == "NDA":
        if _NDA_CONTEXT.search(before):
            return 0.75, "under NDA"
        return 0.3, "NDA mentioned"
    if word.isupper():
        line = before + after
        # Hangul counts as lower case here: "본 자료는 TOP SECRET 자료" is capitals in a sentence.
        mixed = any(c.islower() or "가" <= c <= "힣" for c in line)
        if mixed or not before.strip() or not after.strip():
            if key in _EVERYDAY_CAPS:
                return 0.7, "capitals in mixed-case text"
            return 0.85, "capitals in mixed-case text"
    if key in _DISTINCTIVE_EN:
        return 0.6, "marking phrase"
    if " " in key and word.istitle():
        return 0.6, "Title Case marking phrase"
    return None


def _korean(compact: str, head: str, after: str) -> tuple[float, str]:
    distinctive = compact in _DISTINCTIVE_KO or compact.endswith("급비밀")
    if distinctive:
        if not head or _KO_DOCUMENT_AFTER.match(after):
            return 0.85, "distinctive marking at line start or before 문서/자료"
        return 0.6, "distinctive marking word"
    if _KO_DOCUMENT_AFTER.match(after):
        return 0.6, "marking word before 문서/자료"
    return 0.3, "marking word in running text"
