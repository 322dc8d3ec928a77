"""Applying a policy's edits to one request's texts: redact, mask, hash, pseudonymize."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from gateway.detect.findings import Finding
from gateway.detect.transforms import (
    PlaceholderCollisionError,
    Pseudonymizer,
    hash_tag,
    mask_value,
    normalize_value,
    replace_spans,
)

__all__ = ["RequestEditor"]


class RequestEditor:
    """Edits the texts of one request and collects the pseudonyms to restore later.

    One editor per request: ``restore_mapping`` holds placeholder → original value for
    this request only, so an answer can never receive another request's values.
    """

    def __init__(self, key: bytes, pseudonymizer: Pseudonymizer) -> None:
        self._key = key
        self._pseudonymizer = pseudonymizer
        self.restore_mapping: dict[str, str] = {}

    def edit(self, text: str, findings: Iterable[Finding], actions: Mapping[str, str]) -> str:
        """``text`` with each finding replaced as ``actions[finding.entity_type]`` says."""

        def replace(entity: str, value: str) -> str:
            action = actions.get(entity, "redact")  # a merged span of mixed types: safest
            if action == "mask":
                return mask_value(entity, value)
            if action == "hash":
                return hash_tag(self._key, entity, value)
            if action == "pseudonymize":
                return self._pseudonym(entity, value)
            return f"<{entity}>"

        def replace_part(entity: str, value: str) -> str:
            # A mask keeps the ends of a value; kept on each part, it would show the middle
            # of a split one (``9001**`` and ``-12345**``): a part is masked whole.
            if actions.get(entity, "redact") == "mask":
                return "".join("*" if char.isalnum() else char for char in value)
            return replace(entity, value)

        return replace_spans(text, findings, replace, replace_part)

    def _pseudonym(self, entity: str, value: str) -> str:
        tag = self._pseudonymizer.placeholder(entity, value)
        known = self.restore_mapping.setdefault(tag, value)
        if known != value and normalize_value(entity, known) != normalize_value(entity, value):
            raise PlaceholderCollisionError(f"two {entity} values share one placeholder")
        return tag
