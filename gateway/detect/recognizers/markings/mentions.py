"""When a marking word is talked about rather than written on a document.

``'대외비'가 무슨 뜻이야?`` asks about the word, and ``대외비 문서는 어떻게 관리하나요?`` asks
about a kind of document: neither marks the prompt itself, so the marking recognizer
(``confidential.py``) lowers such candidates to 0.3, informational.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["asked_about", "class_question"]

_CONCEPT_AFTER: Final = re.compile(
    r"^(?:이?란(?:[ \t?.,]|$)|이?라는|의[ \t]*(?:뜻|의미|정의|기준|종류)|"
    r"[이가][ \t]*(?:뭐|무엇|뭔)|[ \t]*(?:뜻|의미|정의|개념))"
)
_CONCEPT_NEAR: Final = re.compile(
    r"\b(?:mean|means|meaning|definition|define[sd]?|what[ \t]+is|what's|what[ \t]+does|"
    r"what[ \t]+are|explain|difference|synonyms?|spell|spelling|translate|translation|"
    r"the[ \t]+(?:word|term))\b|뜻|의미|정의|무슨[ \t]*말|차이|개념|번역|뭐야|뭔가요|무엇인",
    re.IGNORECASE,
)
# A class of documents as the topic of a question (대외비 문서는 어떻게 관리하나요?): the
# word names a kind of document, no document at hand is marked. A demonstrative before it
# (이 대외비 문서는 …) points at one document, which stays a marking; so does a subject or
# object (대외비 자료가 첨부돼 있는데 …, 대외비 문서를 요약해줘): those are documents at hand.
_CLASS_OF_DOCUMENTS: Final = re.compile(
    r"^[ \t]?(?:문서|자료|문건|파일|정보|보고서)들?[ \t]?"
    r"(?:은|는|의|에[ \t]?(?:대한|대해|관한|관해))(?![가-힣])"
)
_DEMONSTRATIVE_BEFORE: Final = re.compile(
    r"(?:^|[ \t])(?:이|그|저|본|해당|첨부(?:된|한)?|아래|위|다음|위의|아래의)[ \t]*$"
)
_SENTENCE: Final = re.compile(r"[^.!?？\n]*[.!?？]?")
# How, what, when, who, where, why, how long / many, or asking leave (해도 되나요): a question
# about rules. "요약해 줄 수 있나요?" asks for work on a document and is not one.
_INTERROGATIVE: Final = re.compile(
    r"어떻게|어떤|어느|무엇|무슨|뭐|뭘|언제|누가|누구|어디|왜|얼마|몇|"
    r"[해돼][ \t]?도[ \t]?(?:되|돼|될)"
)
_QUESTION_END: Final = re.compile(
    r"(?:[?？]|(?:나요|까요|니까|가요|은가|는가|는지|을까|할까|나|니|냐)[ \t]*\.?)[ \t]*$"
)
#: Characters either side of the word searched for "what does ... mean" and the like.
_NEAR = 30


def class_question(before: str, after: str) -> bool:
    """``대외비 문서는 어떻게 관리하나요?``: the kind of document is the topic of a question."""
    topic = _CLASS_OF_DOCUMENTS.match(after)
    if topic is None or _DEMONSTRATIVE_BEFORE.search(before):
        return False
    sentence = _SENTENCE.match(after, topic.end())
    if sentence is None or _QUESTION_END.search(sentence.group()) is None:
        return False
    return _INTERROGATIVE.search(sentence.group()) is not None


def asked_about(
    text: str, start: int, end: int, line_start: int, line_end: int, after: str
) -> bool:
    """``'대외비'가 무슨 뜻이야?``, ``What does CONFIDENTIAL mean?``: the word is the question."""
    if _CONCEPT_AFTER.match(after):
        return True
    window = (
        text[max(line_start, start - _NEAR) : start] + " " + text[end : min(line_end, end + _NEAR)]
    )
    return _CONCEPT_NEAR.search(window) is not None
