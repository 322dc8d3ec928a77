"""OpenAI Embeddings (``POST /v1/embeddings``): one text or a batch of texts.

The API also takes pre-tokenised input (lists of token ids). Detokenising would
need the model's exact tokenizer, so such bodies are refused rather than forwarded
unscanned; clients can always send the text instead. ``user`` and any field this
module does not know are scanned as free-form JSON.
"""

from __future__ import annotations

from typing import Any

from gateway.providers.dialect import Extraction, JSONPath, UninspectableContent

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
    if value is None or isinstance(value, str):
        found.text(value, path)
    elif isinstance(value, list):
        found.items(value, path, _text_or_tokens)
    else:
        raise UninspectableContent("input has an unsupported shape")


class OpenAIEmbeddings:
    """Segments of an Embeddings request: ``input`` or ``input[i]``, then the rest."""

    api = "embeddings"

    def extract(self, body: Any) -> Extraction:
        if not isinstance(body, dict):
            raise UninspectableContent("request body must be a JSON object")
        found = Extraction()
        found.fields(body, {"input": _input}, (), _STRUCTURAL_FIELDS)
        return found

    def model(self, body: Any, path: str) -> str | None:
        model = body.get("model") if isinstance(body, dict) else None
        return model if isinstance(model, str) else None

    def is_streaming(self, body: Any, path: str, query: str) -> bool:
        return False
