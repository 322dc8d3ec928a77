"""OpenAI Embeddings (``POST /v1/embeddings``): one text or a batch of texts.

The API also takes pre-tokenised input (lists of token ids). Detokenising would
need the model's exact tokenizer, so such bodies are refused rather than forwarded
unscanned; clients can always send the text instead. ``user`` and any field this
module does not know are scanned as free-form JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.providers.dialect import (
    Extraction,
    Handler,
    JSONBodyDialect,
    JSONPath,
    UninspectableContent,
)

__all__ = ["OpenAIEmbeddings"]

_TOKEN_IDS = "token-id input cannot be inspected; send text"
_STRUCTURAL_FIELDS = frozenset({"model", "encoding_format", "dimensions"})


def _text_or_tokens(item: Any, path: JSONPath, found: Extraction) -> None:
    if isinstance(item, int | list):  # token ids, or a batch of them
        raise UninspectableContent(_TOKEN_IDS)
    if not isinstance(item, str):
        raise UninspectableContent(f"input[{path[-1]}] has an unsupported shape")
    found.text(item, path)


def _input(value: Any, path: JSONPath, found: Extraction) -> None:
    found.text_or_items(value, path, _text_or_tokens)


class OpenAIEmbeddings(JSONBodyDialect):
    """Segments of an Embeddings request: ``input`` or ``input[i]``, then the rest."""

    api = "embeddings"
    body_fields: Mapping[str, Handler] = {"input": _input}
    structural_fields = _STRUCTURAL_FIELDS

    def is_streaming(self, body: Any, path: str, query: str) -> bool:
        return False
