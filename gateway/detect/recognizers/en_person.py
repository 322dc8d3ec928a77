"""English personal names (PERSON): a title before a name, or a known first name and surname.

Presidio's English PERSON needs a spaCy NER model, which the gateway does not load (start-up
and memory; see docs/detection.md). Names written in English are instead found by shape and
by two public frequency lists:

- a courtesy title or academic title before one to three capitalised words (``Dear Ms.
  Garcia``, ``Dr. Kim``, ``Mr John Smith``): 0.85, whatever the words;
- a capitalised first name from the US Census list followed by a capitalised surname from
  the same census (``Write to John Smith``, ``John F. Kennedy``): 0.6. Context words
  (``dear``, ``name``, ``contact`` …) add the enhancer's 0.35.

The lists are the US Census Bureau's 1990 name frequency files (public domain, a work of the
US government) as shipped by the ``names`` package (MIT): 5,494 first names and the 18,839
surnames held by at least 0.001 % of people (of 88,799). They are read once per process
(~60 ms, ~3 MB). A pair whose second word heads a place or an organisation (Virginia Beach,
Jordan River, Chase Bank) is not a name, and neither are pairs of capitalised common words
that both lists happen to hold (Will Power, May Long); ALL-CAPS text is not read.
"""

from __future__ import annotations

import re
import threading
from importlib import resources
from typing import ClassVar

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from gateway.detect.recognizers.base import SpanSet, recognizer_result

__all__ = ["EnglishPersonRecognizer", "census_names"]

_TITLE = r"(?:Mr|Mrs|Ms|Mx|Dr|Prof)\.?|Miss|Mister|Madam|Madame|Professor|Doctor|Sir|Dame"
_WORD = r"(?:Mc|Mac|O'|D')?[A-Z][a-z]+(?:-[A-Z][a-z]+)?"
_INITIAL = r"[A-Z]\."
_BY_TITLE = re.compile(
    rf"(?<![A-Za-z])(?:{_TITLE})\s(?P<name>{_WORD}(?:\s(?:{_WORD}|{_INITIAL})){{0,2}})"
    r"(?![A-Za-z])"
)
# A run of capitalised words and initials, one space apart: where names can be.
_RUN = re.compile(rf"(?<![A-Za-z'])(?:{_WORD}|{_INITIAL})(?: (?:{_WORD}|{_INITIAL}))++(?![A-Za-z])")
_RUN_WORD = re.compile(rf"{_WORD}|{_INITIAL}")
_CAPITAL = re.compile(r"[A-Z][a-z]")
# The second word heads a place or an organisation, not a family.
_PLACE_HEAD_WORDS = (
    "Street Avenue Road Lane Drive Boulevard Beach River Lake Park Hill Hills Valley "
    "Mountain Island Bay Creek Falls Springs Square Bridge Tower Hall Center Centre "
    "Airport Station Harbor Port City County State University College School Academy "
    "Institute Hospital Clinic Church Chapel Bank Capital Group Holdings Company Post "
    "Times Journal News Press Records Studios Hotel Motors Airlines Foundation Fund "
    "Trust Library Museum Theatre Theater Stadium Arena Mall Market Court House Road "
)
_PLACE_HEADS = frozenset(_PLACE_HEAD_WORDS.split())
# Words that start a sentence or a date, never a name in running text.
_NOT_FIRST_WORDS = (
    "May June April August Say Tell Ask Call See Meet Thank Thanks Dear Hello Hi Please "
    "Sunday Monday Tuesday Wednesday Thursday Friday Saturday Happy Merry Welcome Visit "
)
_NOT_FIRST = frozenset(_NOT_FIRST_WORDS.split())
# Capitalised everyday words that the census lists hold: two of them together are a heading
# or a phrase (Will Power, Golden Gate, Rich Green), one beside a real name is a name.
_COMMON_WORD_LIST = (
    "Will Grant Bill Mark Art Guy Frank Chase Drew Pat Rose Page Summer Dawn Hope Faith "
    "Joy Grace Power Young King Price Cash Hunter Major Golden Sterling Rich Strong Long "
    "Little Small Short Best Good Love Bell Case Wood Stone Field Lane Cross Brown White "
    "Green Black Gray Grey North South East West Christian Central General Royal National "
    "Street Park Gate Early Late Free Key Hill Rock Star Sun Moon Bright Gold Silver "
)
_COMMON_WORDS = frozenset(_COMMON_WORD_LIST.split())
_MIN_SURNAME_PERCENT = 0.001
_SCORE_TITLE = 0.85
_SCORE_PAIR = 0.6

_lock = threading.Lock()
_names: tuple[frozenset[str], frozenset[str]] | None = None


def census_names() -> tuple[frozenset[str], frozenset[str]]:
    """(first names, surnames) in title case, read once from the ``names`` package."""
    global _names
    if _names is None:
        with _lock:
            if _names is None:
                data = resources.files("names")
                first: set[str] = set()
                for kind in ("dist.male.first", "dist.female.first"):
                    first.update(_column(data.joinpath(kind).read_text("ascii"), 0.0))
                last = _column(
                    data.joinpath("dist.all.last").read_text("ascii"), _MIN_SURNAME_PERCENT
                )
                _names = (frozenset(first), frozenset(last))
    return _names


def _column(text: str, min_percent: float) -> set[str]:
    """Names of a census file (``NAME  percent  cumulative  rank``) above ``min_percent``."""
    out: set[str] = set()
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 2 and float(fields[1]) >= min_percent:
            out.add(fields[0].capitalize())
    return out


def _title_case(word: str) -> str:
    """``McDonald`` -> ``Mcdonald``, ``O'Connor`` -> ``Oconnor``, as the census writes them."""
    plain = word.replace("'", "")
    return plain[:1] + plain[1:].lower()


class EnglishPersonRecognizer(EntityRecognizer):
    """Find English names by title, or as a census first name followed by a census surname."""

    ENTITY: ClassVar[str] = "PERSON"
    NAME: ClassVar[str] = "EnglishPersonRecognizer"
    CONTEXT: ClassVar[list[str]] = [
        "dear",
        "name",
        "contact",
        "regards",
        "sincerely",
        "attn",
        "signed",
        "write to",
        "employee",
        "customer",
        "patient",
        "applicant",
    ]

    def __init__(self, supported_language: str = "en") -> None:
        self.first, self.last = census_names()
        super().__init__(
            supported_entities=[self.ENTITY],
            name=self.NAME,
            supported_language=supported_language,
            context=list(self.CONTEXT),
        )

    def load(self) -> None:
        """The lists are read in ``__init__``."""

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
    ) -> list[RecognizerResult]:
        """Titled names, then census pairs that no titled name covers."""
        if _CAPITAL.search(text) is None:
            return []
        found: dict[tuple[int, int], float] = {}
        for match in _BY_TITLE.finditer(text):
            words = match.group("name").split()
            # Drop trailing words that head a place (Dr. Smith Hospital -> Smith).
            while len(words) > 1 and words[-1] in _PLACE_HEADS:
                words.pop()
            start = match.start("name")
            found[(start, start + len(" ".join(words)))] = _SCORE_TITLE
        titled = SpanSet(found)
        for run in _RUN.finditer(text):
            for span in self._pairs(run):
                if not titled.overlaps(span):
                    found[span] = _SCORE_PAIR
        return [self._result(start, end, score) for (start, end), score in found.items()]

    def _pairs(self, run: re.Match[str]) -> list[tuple[int, int]]:
        """Names in a run of capitalised words: first [middle or initial] last, left to right.

        Each step consumes at least one word, so a run is read in linear time.
        """
        words = [(m.start(), m.end(), m.group()) for m in _RUN_WORD.finditer(run.group())]
        base = run.start()
        spans: list[tuple[int, int]] = []
        at = 0
        while at + 1 < len(words):
            for size in (3, 2):
                group = words[at : at + size]
                if len(group) == size and self._is_name([word for _, _, word in group]):
                    spans.append((base + group[0][0], base + group[-1][1]))
                    at += size
                    break
            else:
                at += 1
        return spans

    def _is_name(self, words: list[str]) -> bool:
        first, last = words[0], words[-1]
        if last in _PLACE_HEADS or first in _NOT_FIRST:
            return False
        if first in _COMMON_WORDS and last in _COMMON_WORDS:
            return False
        if _title_case(first) not in self.first or not self._surname(last):
            return False
        # A middle word is an initial or itself a name: "John F. Kennedy", "Mary Ann Smith".
        return all(
            len(word) == 2 or _title_case(word) in self.first or _title_case(word) in self.last
            for word in words[1:-1]
        )

    def _surname(self, word: str) -> bool:
        """A census surname, or a double-barrelled one with a census part (Johnson-Lee)."""
        return any(_title_case(part) in self.last for part in word.split("-"))

    def _result(self, start: int, end: int, score: float) -> RecognizerResult:
        why = "English name by title, or census first name and surname"
        return recognizer_result(self, self.ENTITY, (start, end), score, why)
