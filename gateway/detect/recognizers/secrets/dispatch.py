"""The secret kinds as one Presidio recognizer, so a scan's cost does not grow with them.

Presidio pays per registered recognizer on every scan: a call, its ``is_loaded`` check,
and several engine loops over the recognizer list. Fifty-odd secret kinds made that the
larger part of a 1 KB scan, although the shared prefilter (``prefilter``) already knows,
after one pass, that almost none of them can match. ``SecretKinds`` registers in their
place: it runs the automaton once, looks up which kinds' gate words occurred (an index
built at start-up, word → kinds), and calls only those kinds, plus any kind without a
gate. A text holding no gate word costs one automaton pass and no kind at all.

Nothing a user sees changes. Each kind stays the object it was and makes its own
results, so entity types, scores, spans, allow lists, placeholder, checksum and
documented-example rules, explanations and ``not_reported`` notes are the kind's, under
its own name. Results carry the kind's recognizer identifier, which is how the context
enhancer (``detect/context.py``) and the engine (``detect/analyzer.py``) find the kind's
context words and its place: both look through ``members``. Kinds run in their
registration order, so results come out in the order Presidio's own loop gave them.

Measured 2026-12-07 on the shared 2 vCPU machine (load ~5 from other jobs, so medians of
alternating runs: main and this change in separate interpreters, one after the other).
``scan``: process CPU time per ``DetectionEngine.scan``, median of 11 rounds, texts from
``gateway.dev.evaluation.speed`` (a 1 KB Korean/English prompt with an e-mail and a phone
number; 50 KB of logs and code, no secret); "policy" is the default policy's entities,
"all" every entity. Gateway: a chat request through ``build_app`` in-process, default
policy, mock upstream (request and answer scanned, scans on threads), process CPU per
request, median of 5 runs of 1,000 (1 KB) or 100 (32 KB) requests.
``python -m gateway.dev.bench.secret_kinds`` compares the two registrations in one run.

======================================  ========  ===========  =====
what                                    main      this change  ratio
======================================  ========  ===========  =====
``scan``, policy, 1 KB prompt           0.333 ms  0.235 ms     0.71
``scan``, policy, 50 KB logs            13.9 ms   13.5 ms      0.97
``scan``, all entities, 1 KB prompt     0.883 ms  0.736 ms     0.83
``scan``, all entities, 50 KB logs      47.2 ms   45.0 ms      0.96
gateway, 1 KB request + answer          1.62 ms   1.46 ms      0.90
gateway, 32 KB request + answer         4.61 ms   4.31 ms      0.94
======================================  ========  ===========  =====

What is left of the secrets' share of a 1 KB scan is the automaton pass (~14 µs); on
the 50 KB log it is ~1.2 ms, the pass and the "token" windows, against ~8 ms for the
bare-token shapes and as much for the RRN look-alikes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import ClassVar, TypeGuard

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from gateway.detect.recognizers.secrets import prefilter
from gateway.detect.recognizers.secrets.table import CredentialTableRecognizer
from gateway.detect.recognizers.secrets.tokens import SecretRecognizer

__all__ = ["NAME", "SecretKinds", "dispatched", "members_of"]

NAME = "SecretKinds"
_ID_KEY = RecognizerResult.RECOGNIZER_IDENTIFIER_KEY
_NAME_KEY = RecognizerResult.RECOGNIZER_NAME_KEY

Kind = SecretRecognizer | CredentialTableRecognizer


def _is_kind(recognizer: EntityRecognizer) -> TypeGuard[Kind]:
    """A kind gated by the prefilter, common to every language's rules, that leaves its
    results' scores to the context enhancer (the engine calls no hook of a member)."""
    return (
        isinstance(recognizer, SecretRecognizer | CredentialTableRecognizer)
        and not hasattr(recognizer, "LANGUAGES")
        and type(recognizer).enhance_using_context is EntityRecognizer.enhance_using_context
    )


class SecretKinds(EntityRecognizer):
    """Consecutive secret kinds behind one gate; see the module.

    ``members``: the kinds, in their registration order. Each keeps its own identifier,
    name and context words, and its results say so.
    """

    #: ``detect/context.py`` and ``detect/analyzer.py`` look for these on every recognizer
    members: tuple[Kind, ...]
    _EMPTY: ClassVar[tuple[int, ...]] = ()

    def __init__(self, members: Sequence[Kind]) -> None:
        if not members:
            raise ValueError("SecretKinds needs at least one kind")
        languages = {kind.supported_language for kind in members}
        if len(languages) != 1:
            raise ValueError(f"secret kinds registered under several languages: {languages}")
        self.members = tuple(members)
        by_word: dict[str, list[int]] = {}
        ungated: list[int] = []
        for index, kind in enumerate(self.members):
            words = kind.gate_words
            if words is None:
                ungated.append(index)
                continue
            for word in words:
                by_word.setdefault(word, []).append(index)
        self._by_word = {word: tuple(indexes) for word, indexes in by_word.items()}
        self._ungated = tuple(ungated)
        entities = dict.fromkeys(e for kind in self.members for e in kind.supported_entities)
        super().__init__(
            supported_entities=list(entities), name=NAME, supported_language=languages.pop()
        )

    def load(self) -> None:
        """The kinds are loaded when built; nothing else to load."""

    def chosen(self, text: str) -> tuple[int, ...]:
        """Positions of the kinds to run on ``text``: gate word present, or no gate."""
        hits = prefilter.words_present(text)
        if not hits:
            return self._ungated
        picked = set(self._ungated)
        by_word = self._by_word
        for word in hits:
            picked.update(by_word.get(word, self._EMPTY))
        return tuple(sorted(picked))

    def may_match(self, text: str) -> bool:
        """No kind runs when none is chosen (``detect/gates.py``); the automaton's pass is
        kept for ``analyze`` on the same text."""
        return bool(self.chosen(text))

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """Every chosen kind's results, in registration order, each labelled with its kind."""
        results: list[RecognizerResult] = []
        for index in self.chosen(text):
            kind = self.members[index]
            found = kind.analyze(text, entities, nlp_artifacts)
            if found:
                _label(found, kind)
                results.extend(found)
        return results


def _label(results: Iterable[RecognizerResult], kind: EntityRecognizer) -> None:
    """What Presidio adds to a registered recognizer's results when it is missing."""
    for result in results:
        if not result.recognition_metadata:
            result.recognition_metadata = {}
        result.recognition_metadata.setdefault(_ID_KEY, kind.id)
        result.recognition_metadata.setdefault(_NAME_KEY, getattr(kind, "name", ""))


def dispatched(recognizers: Iterable[EntityRecognizer]) -> list[EntityRecognizer]:
    """``recognizers`` with each run of consecutive secret kinds replaced by one
    ``SecretKinds`` in its place: the order of everything, and so of results, is kept."""
    out: list[EntityRecognizer] = []
    run: list[Kind] = []
    for recognizer in recognizers:
        if _is_kind(recognizer) and (
            not run or run[0].supported_language == recognizer.supported_language
        ):
            run.append(recognizer)
            continue
        out.extend(_closed(run))
        run = [recognizer] if _is_kind(recognizer) else []
        if not run:
            out.append(recognizer)
    out.extend(_closed(run))
    return out


def _closed(run: list[Kind]) -> list[EntityRecognizer]:
    return [SecretKinds(run)] if len(run) > 1 else list(run)


def members_of(recognizer: EntityRecognizer) -> tuple[EntityRecognizer, ...]:
    """The recognizers whose results ``recognizer`` returns: its kinds, or itself."""
    members: tuple[EntityRecognizer, ...] = getattr(recognizer, "members", (recognizer,))
    return members
