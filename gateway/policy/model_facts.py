"""The model facts (``model.operator``, ``model.jurisdiction``, ``model.routed_to_developer``).

Read from the model catalog (``gateway/providers/models.yaml``) for a live
request, an audit record and a test case's sketch; ``fact_table.FACTS``
declares the facts and names these. Kept apart so the table stays a table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gateway.policy.facts import Live, Recorded, SketchContext
from gateway.policy.matchers import check_countries
from gateway.providers.models import UNKNOWN, ModelFacts, model_catalog

if TYPE_CHECKING:
    from gateway.providers.catalog import Provider

__all__ = [
    "check_model_countries",
    "check_operators",
    "recorded_model",
    "request_model",
    "sketched_model",
]


def request_model(x: Live, p: Provider) -> ModelFacts:
    return model_catalog().facts(p.id, x.model, x.document)


def recorded_model(r: Recorded, p: Provider) -> ModelFacts:
    # the body is not recorded: a router's request is judged as not pinning its hosts
    return model_catalog().facts(p.id, r.model)


def sketched_model(s: Any, c: SketchContext) -> ModelFacts:
    return model_catalog().facts(s.provider, s.model, {"provider": s.routing})


def check_operators(values: list[str]) -> list[str]:
    """Developer ids are the model catalog's; a typo would silently never match."""
    known = model_catalog().developers
    for value in values:
        if value not in known and value != UNKNOWN:
            raise ValueError(
                f"'{value}' is not a developer in the model catalog "
                f"(known: {', '.join(sorted(known))}, or '{UNKNOWN}')"
            )
    return values


def check_model_countries(values: list[str]) -> list[str]:
    """Country codes, or ``unknown``: a model the catalog cannot place."""
    check_countries([v for v in values if v != UNKNOWN])
    return values
