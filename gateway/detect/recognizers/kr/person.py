"""Korean personal names (PERSON): surname + given name, trusted by what surrounds it.

Most Korean words of two or three syllables start with a syllable that is also a surname
(이번, 정말, 한국, 고객센터), so the shape alone proves nothing. A name is reported when
the text says it is one:

- an honorific or title right after it (``김민수님께``, ``이영희씨가``, ``홍길동 고객님``,
  ``박지성 과장``) or a label right before it (``성명: 홍길동``, ``담당자 박지성에게``): 0.85;
- a bare three-syllable candidate (four with a two-syllable surname) that is *name-shaped*
  (``name_syllables``: its given syllables are common first and second syllables of given
  names, so 한정판, 이번주 and 구매자 are not) and that Kiwi's morphological analysis reads
  as a proper noun (NNP) from its first syllable: the whole name (김철수, 최찬준이), the
  surname alone (its reading of an unknown name, 박/서/준), or name and particle (허민/이);
  not a place (…구/동/역) or a listed brand: 0.6. Context words (성명, 담당자, 고객…)
  nearby add 0.35.

Limits, measured on hand-made examples rather than a labelled corpus:

- Recall: two-syllable names (김구) and names with rare given syllables are only found with
  an honorific or label; foreign names in Hangul are not recognized (English names are
  ``en_person``'s).
- Precision: a title after any common word of name shape (``정민 대표``, ``지원 대리``)
  and proper nouns that look like names (brands, characters, places not ending in a
  place suffix) pass; Kiwi's NNP does not tell a person from an organization.

Cost per 1 KB prompt (``analyze`` alone, one core): English ~3 µs (no Hangul: nothing runs);
Korean without names ~30 µs (substring gates, then up to three regex passes); Korean with a
name by honorific ~35 µs; with a bare name Kiwi reads ~180 µs (windows of 8 characters
around each candidate, merged into one Kiwi call). Kiwi itself is loaded once per process,
by ``warm_up()`` (the gateway calls it at start-up) or else on the first bare candidate:
1.4-2.2 s and ~320 MB (typo and multi-word dictionaries off; kiwipiepy ships no smaller
model).
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_right
from typing import Any, ClassVar, Protocol

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from gateway.detect.recognizers.base import recognizer_result
from gateway.detect.recognizers.kr.name_syllables import (
    COMPOUND_SURNAMES,
    FIRST_SYLLABLES,
    NOT_NAMES,
    SECOND_SYLLABLES,
    SINGLE_SURNAMES,
    name_shaped,
)

__all__ = ["KrPersonRecognizer", "preload_name_model"]

_COMPOUND = COMPOUND_SURNAMES
_SINGLE = SINGLE_SURNAMES
# Syllables common in given names; words such as 정보, 한국어, 유튜브 fail on 보/어/튜.
_GIVEN = (
    "가각간갑강건걸겸경고곤관광교구국군권귀규균근금기길나낙난남녀년노다단담당대덕도돈동두"
    "득라락란람랑래량려련렬령례로록룡루류륜률리린림립만매맹면명모목몽무문미민바박반배백범"
    "법벽별병보복본봉부분비빈빛사삼상새샘서석선설섭성세소솔송수숙순숭슬승시식신실심아안애야"
    "양언엄업여연열염엽영예오옥온완왕용우욱운웅원월위유윤율융은을음응의이익인일임자재전"
    "점정제조종주준중지직진집차찬창채천철청초총추춘충치칠침탁탄태택파판팔평표필하학한해행향"
    "허헌혁현협형혜호홍화환활황효후훈휘휴흠흥희힘늘검봄결"
)
# The surname's first syllable leads the pattern so the regex engine can skip to candidates;
# a fixed-width look-behind then checks the word start, and 독 must be 독고.
_SECOND = "|".join(f"(?<={pair[0]}){pair[1]}" for pair in _COMPOUND)
_SURNAME = f"[{_SINGLE}독](?<![가-힣].)(?:{_SECOND}|(?<!독))"
_NAME = _SURNAME + f"[{_GIVEN}]{{1,2}}"
# What may follow a name or title: a particle, or the end of the word.
_PARTICLE = r"(?:님|께|에게|한테|입니|이에|예요|[이가은는을를의와과도만랑야아]|[^가-힣]|$)"
_HONORIFIC = (
    "(?:고객님|고객|선생님|선생|과장|차장|부장|대리|사원|주임|팀장|실장|본부장|대표|사장|회장"
    "|이사|교수|원장|의원|기자|변호사|박사|님|씨)"
)
_LABEL = (
    r"(?:성명|성함|이름|고객명|담당자|환자명|환자|수신인|수취인|보호자|예금주|신청인|[Nn]ame"
    r"|작성자|제출자|검토자|승인자|요청자|신청자|발신인|수신자|책임자|대표자|참석자)"
)

# The name may touch its honorific (김민수님) or stand one space before a title.
_BY_HONORIFIC = re.compile(f"(?P<name>{_NAME})(?=\\s?{_HONORIFIC}{_PARTICLE})")
# "성명: 홍길동", "이름은 김민수", "담당자 박지성에게". Only a space: three syllables needed.
_BY_LABEL = re.compile(
    r"(?<![가-힣])"
    + _LABEL
    + r"(?:\s*[:：=]\s*|[은는이가]\s+|\s*\(\s*)"
    + f"(?P<name>{_NAME})(?={_PARTICLE})"
    + "|"
    + r"(?<![가-힣])"
    + _LABEL
    + r"\s+"
    + f"(?P<spaced>{_SURNAME}[{_GIVEN}]{{2}})(?={_PARTICLE})"
)
_BARE = re.compile(f"{_SURNAME}[{_GIVEN}]{{2}}(?={_PARTICLE})")
_HANGUL = re.compile("[가-힣]")
# Substrings every honorific or label match contains: ``in`` tests are far cheaper than the
# patterns, and most prompts hold none of them.
_HONORIFIC_MARKERS: tuple[str, ...] = ("님", "씨", "고객", "선생", "장", "대리", "사원", "주임")
_HONORIFIC_MARKERS += ("대표", "이사", "교수", "의원", "기자", "변호사", "박사")
_LABEL_MARKERS: tuple[str, ...] = ("성명", "성함", "이름", "고객명", "담당자", "환자", "수신인")
_LABEL_MARKERS += ("수취인", "보호자", "예금주", "신청인", "name", "Name")
_LABEL_MARKERS += ("작성자", "제출자", "검토자", "승인자", "요청자", "신청자", "발신인", "수신자")
_LABEL_MARKERS += ("책임자", "대표자", "참석자")

_NOT_NAMES = NOT_NAMES
# Proper nouns ending like a place: 강남구, 역삼동, 송파구청, 한라산, 부산역.
_PLACE_ENDINGS = frozenset("시군구읍면리동로길역도청산강섬국")
_PARTICLES = frozenset("은는이가을를의도만와과")
_BRANDS = frozenset({"신세계", "한겨레", "유튜브", "오라클", "현대차", "기아차", "신한은"})

_SCORE_CONTEXT = 0.85
_SCORE_KIWI_NNP = 0.6
_WINDOW = 8  # characters of context on each side of a candidate for Kiwi


class _Token(Protocol):
    form: str
    tag: str
    start: int
    len: int


class _Tokenizer(Protocol):
    def tokenize(self, text: str) -> list[_Token]: ...


_kiwi_lock = threading.Lock()
_kiwi: _Tokenizer | None = None
_kiwi_failed = False


def _get_kiwi() -> _Tokenizer | None:
    """Build the process's one Kiwi on first need; None if kiwipiepy is not installed."""
    global _kiwi, _kiwi_failed
    if _kiwi is not None or _kiwi_failed:
        return _kiwi
    with _kiwi_lock:
        if _kiwi is None and not _kiwi_failed:
            try:
                from kiwipiepy import Kiwi
            except ImportError:
                _kiwi_failed = True
                return None
            # tokenize() on one shared instance from several threads is supported.
            kiwi: Any = Kiwi(load_typo_dict=False, load_multi_dict=False)
            kiwi.tokenize("준비")  # the model loads on the first call: pay it here
            _kiwi = kiwi
    return _kiwi


def preload_name_model() -> bool:
    """Load Kiwi now (blocking, ~1.3 s, ~320 MB); True when it is available.

    For replicas that must switch to a name-scanning policy within a second: without
    this, the first such activation waits for the model to load.
    """
    return _get_kiwi() is not None


class KrPersonRecognizer(EntityRecognizer):
    """Find Korean names by honorific/label context, or by Kiwi's proper-noun reading."""

    ENTITY: ClassVar[str] = "PERSON"
    #: Korean rules only: Hangul names/addresses (see ``languages_of``).
    LANGUAGES: ClassVar[tuple[str, ...]] = ("ko",)
    NAME: ClassVar[str] = "KrPersonRecognizer"
    CONTEXT: ClassVar[list[str]] = [
        "성명",
        "성함",
        "이름",
        "고객명",
        "담당자",
        "환자",
        "수신인",
        "보호자",
        "예금주",
        "name",
    ]

    def __init__(self, supported_language: str = "en", use_kiwi: bool = True) -> None:
        self.use_kiwi = use_kiwi
        super().__init__(
            supported_entities=[self.ENTITY],
            name=self.NAME,
            supported_language=supported_language,
            context=list(self.CONTEXT),
        )

    def load(self) -> None:
        """Kiwi is loaded on the first bare candidate or by ``warm_up``, not here."""

    def warm_up(self) -> bool:
        """Load Kiwi now (a server's start-up) instead of on the first bare name.

        Returns True when Kiwi is loaded (now or before), False when it is not used or
        kiwipiepy is not installed.
        """
        return self.use_kiwi and _get_kiwi() is not None

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
    ) -> list[RecognizerResult]:
        """Return context-backed names, then Kiwi's reading of bare candidates."""
        if _HANGUL.search(text) is None:
            return []
        found: dict[tuple[int, int], float] = {}
        if any(marker in text for marker in _HONORIFIC_MARKERS):
            for match in _BY_HONORIFIC.finditer(text):
                self._keep(found, text, match.span("name"), _SCORE_CONTEXT)
        if any(marker in text for marker in _LABEL_MARKERS):
            for match in _BY_LABEL.finditer(text):
                group = "name" if match.group("name") else "spaced"
                self._keep(found, text, match.span(group), _SCORE_CONTEXT)
        if self.use_kiwi:
            bare = [m.span() for m in _BARE.finditer(text) if m.span() not in found]
            bare = [span for span in bare if _plausible(text[span[0] : span[1]])]
            if bare:
                for span, score in _kiwi_scores(text, bare).items():
                    found.setdefault(span, score)
        return [self._result(start, end, score) for (start, end), score in found.items()]

    @staticmethod
    def _keep(
        found: dict[tuple[int, int], float], text: str, span: tuple[int, int], score: float
    ) -> None:
        word = text[span[0] : span[1]]
        # A one-syllable given name must be a name syllable: 구매 고객님 is a purchase.
        if len(word) == 2 and not (word[1] in FIRST_SYLLABLES or word[1] in SECOND_SYLLABLES):
            return
        if not _common_word(word):
            found[span] = max(score, found.get(span, 0.0))

    def _result(self, start: int, end: int, score: float) -> RecognizerResult:
        why = "Korean name by honorific, label or Kiwi NNP"
        return recognizer_result(self, self.ENTITY, (start, end), score, why)


def _common_word(word: str) -> bool:
    """True for listed non-names, also with a particle glued on (변경은, 정보를)."""
    return word in _NOT_NAMES or (word[-1] in _PARTICLES and word[:-1] in _NOT_NAMES)


def _plausible(word: str) -> bool:
    """Worth asking Kiwi: name-shaped, not listed, not place-like, no particle but 은/이.

    은 and 이 end given names (지은, 민이) as often as they are particles; Kiwi decides.
    """
    if word[-1] in _PARTICLES and word[-1] not in "은이":  # 문의가, 안건을
        return False
    return (
        name_shaped(word)
        and not _common_word(word)
        and word not in _BRANDS
        and word[-1] not in _PLACE_ENDINGS
    )


def _kiwi_scores(text: str, spans: list[tuple[int, int]]) -> dict[tuple[int, int], float]:
    """Analyse merged windows around the candidates in one Kiwi call."""
    kiwi = _get_kiwi()
    if kiwi is None:
        return {}
    windows: list[tuple[int, int]] = []
    for start, end in spans:
        low, high = max(0, start - _WINDOW), min(len(text), end + _WINDOW)
        if windows and low <= windows[-1][1]:
            windows[-1] = (windows[-1][0], high)
        else:
            windows.append((low, high))
    # Newlines keep the windows apart; offsets map back through ``starts``.
    joined_parts: list[str] = []
    offsets: dict[int, int] = {}  # position in the joined text -> position in ``text``
    position = 0
    for low, high in windows:
        offsets[position] = low
        joined_parts.append(text[low:high])
        position += high - low + 1
    starts = sorted(offsets)
    scores: dict[tuple[int, int], float] = {}
    for token in kiwi.tokenize("\n".join(joined_parts)):
        if token.tag != "NNP":
            continue
        base = starts[bisect_right(starts, token.start) - 1]
        start = offsets[base] + token.start - base
        for span in spans:
            if span[0] == start and span not in scores and _reads_as_name(text, span, token.len):
                scores[span] = _SCORE_KIWI_NNP
    return scores


def _reads_as_name(text: str, span: tuple[int, int], length: int) -> bool:
    """Kiwi's proper noun at a name-shaped candidate's start makes it a name.

    Kiwi reads a known name whole (김철수, or 최찬준이 with its particle), an unknown one as
    the surname alone (박/서/준), and a name ending in 이 as name and particle (허민/이):
    with the candidate's shape already checked, each of these is the name.
    """
    start, end = span
    if start + length >= end:
        return True
    head = text[start : start + length]
    if head in _COMPOUND or (length == 1 and head in _SINGLE):
        return True
    return end - start - length == 1 and text[end - 1] == "이"
