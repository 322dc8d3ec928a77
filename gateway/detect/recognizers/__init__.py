"""Entity → recognizer table: adding a recognizer is one module plus one line in its package."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence

from presidio_analyzer import EntityRecognizer

from gateway.detect.recognizers import generic, kr, markings, secrets
from gateway.detect.recognizers.en_person import EnglishPersonRecognizer

__all__ = [
    "ALL_LANGUAGES",
    "RECOGNIZER_FACTORIES",
    "SUPPORTED_ENTITIES",
    "build_recognizers",
    "languages_of",
]

#: Called with the Presidio language code to register the recognizer under.
RecognizerFactory = Callable[..., EntityRecognizer]


def _merge(*tables: Mapping[str, RecognizerFactory]) -> dict[str, RecognizerFactory]:
    merged: dict[str, RecognizerFactory] = {}
    for table in tables:
        for entity, factory in table.items():
            if entity in merged:
                raise ValueError(f"two recognizers claim {entity}")
            merged[entity] = factory
    return merged


# Each recognizer package lists its own entities; this joins them.
RECOGNIZER_FACTORIES: dict[str, RecognizerFactory] = _merge(
    generic.FACTORIES,
    kr.FACTORIES,
    secrets.FACTORIES,
    secrets.BARE_FACTORIES,
    markings.FACTORIES,
)

SUPPORTED_ENTITIES: frozenset[str] = frozenset(RECOGNIZER_FACTORIES)

#: Further recognizers of an entity, for other languages' rules: Korean names are read
#: only in Korean text (``LANGUAGES``), English names in every text.
ADDITIONAL_FACTORIES: dict[str, tuple[RecognizerFactory, ...]] = {
    "PERSON": (EnglishPersonRecognizer,),
}

#: The languages whose rules the engine knows; see ``languages_of``.
ALL_LANGUAGES: tuple[str, ...] = ("ko", "en")


def languages_of(recognizer: EntityRecognizer) -> tuple[str, ...]:
    """The rule sets a recognizer belongs to: its ``LANGUAGES``, else every language.

    Identifiers, secrets and dictionaries are common; a recognizer that only makes sense in
    one language (Korean names and addresses) declares ``LANGUAGES = ("ko",)``.
    """
    languages: tuple[str, ...] = getattr(recognizer, "LANGUAGES", ALL_LANGUAGES)
    return languages


def build_recognizers(
    entities: Collection[str] | None = None,
    language: str = "en",
    phone_regions: Sequence[str] | None = None,
) -> list[EntityRecognizer]:
    """Instantiate one recognizer per requested entity (None means all), in table order.

    Unknown names raise ``ValueError`` so a typo in a policy fails at startup instead of
    silently disabling a detector; so do unknown ``phone_regions`` (the regions whose
    national phone forms are read; None: the recognizer's default).
    """
    wanted = SUPPORTED_ENTITIES if entities is None else frozenset(entities)
    unknown = wanted - SUPPORTED_ENTITIES
    if unknown:
        raise ValueError(
            f"unsupported entities: {sorted(unknown)}; supported: {sorted(SUPPORTED_ENTITIES)}"
        )
    recognizers = []
    built: set[RecognizerFactory] = set()
    for entity, factory in RECOGNIZER_FACTORIES.items():
        if entity not in wanted or factory in built:
            continue
        if getattr(factory, "MULTI_ENTITY", False):
            # One instance for every wanted entity it serves (a table of formats); it is
            # given all of them, since its rows may add variants to others' entities.
            recognizer = factory(supported_language=language, entities=wanted)
            built.add(factory)
        elif entity == "PHONE_NUMBER" and phone_regions is not None:
            recognizer = factory(supported_language=language, regions=phone_regions)
        else:
            recognizer = factory(supported_language=language)
        if entity not in recognizer.supported_entities:
            raise ValueError(f"{type(recognizer).__name__} does not report {entity}")
        recognizers.append(recognizer)
        recognizers.extend(
            extra(supported_language=language) for extra in ADDITIONAL_FACTORIES.get(entity, ())
        )
    return recognizers
