"""Korean personal names (PERSON): surname + given name, trusted by what surrounds it.

Most Korean words of two or three syllables start with a syllable that is also a surname
(이번, 정말, 한국, 고객센터), so the shape alone proves nothing. A name is reported when
the text says it is one:

- an honorific or title right after it (``김민수님께``, ``이영희씨가``, ``홍길동 고객님``,
  ``박지성 과장``) or a label right before it (``성명: 홍길동``, ``담당자 박지성에게``): 0.85;
- a bare three-syllable candidate (four with a two-syllable surname) whose given syllables
  are common in names, and which Kiwi's morphological analysis reads as one proper noun
  (NNP) that is not a place (…구/동/역) or a listed brand: 0.6. If Kiwi instead splits off
  the surname as a proper noun (its reading of an unknown name, ``박/서/준``) the candidate
  is informational, 0.3. Context words (성명, 담당자, 고객…) nearby add 0.35.

Limits, measured on hand-made examples rather than a labelled corpus:

- Recall: two-syllable names (김구) and names with rare given syllables are only found with
  an honorific or label; Kiwi misses many bare names (박서준 and 최민호 come out split:
  informational only); foreign names in Hangul and English names are not recognized
  (Presidio's English PERSON needs a spaCy NER model, which the gateway does not load).
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

from presidio_analyzer import AnalysisExplanation, EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

__all__ = ["KrPersonRecognizer", "preload_name_model"]

_COMPOUND = ("황보", "남궁", "제갈", "선우", "독고", "사공", "서문")
_SINGLE = (
    "김이박최정강조윤장임한오서신권황안송류유전홍고문양손배백허남심노하곽성차주우구민진"
    "나지엄채원천방공현함변염여추도소석선설마길연위표명기반왕금옥육인맹제모탁국어은편용예"
    "경봉사부"
)
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
_LABEL = r"(?:성명|성함|이름|고객명|담당자|환자명|환자|수신인|수취인|보호자|예금주|신청인|[Nn]ame)"

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

# Name-shaped words seen before titles and particles: titles, kinship, everyday nouns.
_NOT_NAME_WORDS = (
    "고객 선생 사장 부장 원장 이사 사모 기사 주임 신부 어머 하느 부처 도련 반장 차장 국장 공주 "
    "왕자 선배 후배 조교 고모 이모 소장 기장 선장 방장 장모 장인 장군 주인 박사 석사 사원 "
    "마음 이번 정말 한국 전화 서울 김치 박스 최근 신청 조회 강남 안내 문의 유지 장소 임시 "
    "오늘 정보 주소 배정 변경 선택 정정 신규 이용 사용 방문 전체 기본 기존 연락 정상 유형 진행 "
    "진료 신분 성별 연령 나이 주민 여부 현재 이전 이후 이상 이하 명단 명의 추가 수정 지정 "
    "지역 소속 성함 성명 이름 우편 우선 원본 원래 인적 인증 제출 제공 제외 주요 주의 기록 기타 "
    "기간 공개 공유 구분 국적 남성 여성 여자 남자 마감 모두 반송 발송 배송 선정 설정 성공 소개 "
    "송금 신고 신원 안전 양식 여권 예약 예정 오류 요청 위치 유효 인원 입력 전달 전송 정산 정리 "
    "제목 조건 조정 주문 지급 진단 차량 채용 처리 추천 표시 한도 함께 현금 홍보 문자 안녕 "
    # Kiwi tags these as proper nouns (NNP): found by probing ~330 common nouns.
    "배송지 문자열 조건문 반복문 주석문 정규식"
)
_NOT_NAMES = frozenset(_NOT_NAME_WORDS.split())
# Proper nouns ending like a place: 강남구, 역삼동, 송파구청, 한라산, 부산역.
_PLACE_ENDINGS = frozenset("시군구읍면리동로길역도청산강섬국")
_PARTICLES = frozenset("은는이가을를의도만와과")
_BRANDS = frozenset({"신세계", "한겨레", "유튜브", "오라클", "현대차", "기아차", "신한은"})

_SCORE_CONTEXT = 0.85
_SCORE_KIWI_NNP = 0.6
_SCORE_KIWI_SURNAME = 0.3
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
        if not _common_word(text[span[0] : span[1]]):
            found[span] = max(score, found.get(span, 0.0))

    def _result(self, start: int, end: int, score: float) -> RecognizerResult:
        explanation = AnalysisExplanation(
            recognizer=self.NAME,
            original_score=score,
            textual_explanation="Korean name by honorific, label or Kiwi NNP",
        )
        return RecognizerResult(
            entity_type=self.ENTITY,
            start=start,
            end=end,
            score=score,
            analysis_explanation=explanation,
            recognition_metadata={
                RecognizerResult.RECOGNIZER_NAME_KEY: self.NAME,
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
            },
        )


def _common_word(word: str) -> bool:
    """True for listed non-names, also with a particle glued on (변경은, 정보를)."""
    return word in _NOT_NAMES or (word[-1] in _PARTICLES and word[:-1] in _NOT_NAMES)


def _plausible(word: str) -> bool:
    """Worth asking Kiwi: not listed, not place-like, not a two-syllable word + particle."""
    if word[-1] in _PARTICLES and word[-1] != "은":  # 안건이, 문의가; 지은 is a name
        return False
    return not _common_word(word) and word not in _BRANDS and word[-1] not in _PLACE_ENDINGS


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
    wanted = set(spans)
    scores: dict[tuple[int, int], float] = {}
    for token in kiwi.tokenize("\n".join(joined_parts)):
        base = starts[bisect_right(starts, token.start) - 1]
        start = offsets[base] + token.start - base
        if token.tag != "NNP":
            continue
        whole = (start, start + token.len)
        if whole in wanted:
            scores[whole] = _SCORE_KIWI_NNP
            continue
        # Kiwi's reading of an unknown name: the surname alone as a proper noun.
        for span in spans:
            if (
                span[0] == start
                and span not in scores
                and text[span[0] : start + token.len] in (_COMPOUND + tuple(_SINGLE))
            ):
                scores[span] = _SCORE_KIWI_SURNAME
    return scores
