"""OpenAI Embeddings (``POST /v1/embeddings``): one text or a batch of texts.

The API also takes pre-tokenised input (lists of token ids). Detokenising would
need the model's exact tokenizer, so such bodies are refused rather than forwarded
unscanned; clients can always send the text instead.
"""

from __future__ import annotations

from typing import Any

from gateway.providers.dialect import Segment, UninspectableContent

__all__ = ["OpenAIEmbeddings"]

_TOKEN_IDS = "token-id input cannot be inspected; send text"


class OpenAIEmbeddings:
    """Segments of an Embeddings request: ``input`` or ``input[i]``."""

    api = "embeddings"

    def extract_segments(self, body: Any) -> list[Segment]:
        if not isinstance(body, dict):
            raise UninspectableContent("request body must be a JSON object")
        value = body.get("input")
        if isinstance(value, str):
            return [Segment(("input",), value)] if value else []
        if value is None:
            return []
        if not isinstance(value, list):
            raise UninspectableContent("input has an unsupported shape")
        out: list[Segment] = []
        for index, item in enumerate(value):
            if isinstance(item, str):
                if item:
                    out.append(Segment(("input", index), item))
            elif isinstance(item, int | list):  # token ids, or a batch of them
                raise UninspectableContent(_TOKEN_IDS)
            else:
                raise UninspectableContent(f"input[{index}] has an unsupported shape")
        return out

    def model(self, body: Any, path: str) -> str | None:
        model = body.get("model") if isinstance(body, dict) else None
        return model if isinstance(model, str) else None

    def is_streaming(self, body: Any, path: str, query: str) -> bool:
        return False
