"""Batch input files: JSONL whose every line is a request the provider will run later.

OpenAI's Batch API reads a file uploaded with ``purpose=batch``: one JSON object per
line, ``{"custom_id", "method", "url", "body"}``. Each line's ``body`` is judged by
the dialect of the API its ``url`` names (Chat Completions, Responses, Embeddings),
exactly as if it were sent now; the rest of the line is scanned scan-only. A line
the gateway cannot judge (not JSON, a key given twice, an API it does not inspect)
refuses the whole file. An edit rewrites only the lines it touches.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from gateway.providers.dialect import (
    Dialect,
    Extraction,
    JSONPath,
    Segment,
    UninspectableContent,
    apply_edits,
)
from gateway.providers.upload_errors import UploadProblem

__all__ = ["BatchFile", "read_batch_file"]

#: a custom_id shown in a refusal: a plain identifier (anything else is the caller's data)
_PLAIN_ID = re.compile(r"[A-Za-z][A-Za-z_.:-]{0,39}[0-9]{0,6}")


@dataclass(slots=True)
class BatchFile:
    """The parsed lines of a batch file, keyed by line index, and its raw lines."""

    lines: list[bytes]
    documents: dict[int, dict[str, Any]]

    def render(self, edits: Mapping[JSONPath, str]) -> bytes:
        """The file with edited lines written out again; other lines as received."""
        by_line: dict[int, dict[JSONPath, str]] = {}
        for path, value in edits.items():
            by_line.setdefault(int(path[0]), {})[path[1:]] = value
        out = list(self.lines)
        for index, line_edits in by_line.items():
            document = self.documents[index]
            apply_edits(document, line_edits)
            ending = self.lines[index][len(self.lines[index].rstrip(b"\r\n")) :]
            out[index] = orjson.dumps(document) + ending
        return b"".join(out)

    def describe(self, indexes: list[int]) -> str:
        """The lines named for a refusal: number (from 1) and a plain custom_id."""
        named: list[str] = []
        for index in indexes[:5]:
            custom_id = self.documents.get(index, {}).get("custom_id")
            label = f"{index + 1}"
            if isinstance(custom_id, str) and _PLAIN_ID.fullmatch(custom_id):
                label += f" (custom_id {custom_id})"
            named.append(label)
        more = f" +{len(indexes) - 5}" if len(indexes) > 5 else ""
        return ", ".join(named) + more


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("duplicate key")
    return dict(pairs)


def read_batch_file(
    text: str,
    prefix: JSONPath,
    dialect_for: Callable[[str], Dialect | None],
    found: Extraction,
) -> BatchFile:
    """Read every line of a batch file into ``found``'s segments, paths under ``prefix``.

    ``dialect_for`` maps a line's ``url`` (``/v1/chat/completions``) to its dialect.
    Raises ``UninspectableContent`` naming the first line that cannot be judged.
    """
    lines = text.encode("utf-8").splitlines(keepends=True)
    documents: dict[int, dict[str, Any]] = {}
    for index, raw in enumerate(lines):
        if not raw.strip():
            continue
        where = f"line {index + 1} of the batch file"
        korean = f"배치 파일 {index + 1}번째 줄"
        try:
            # duplicate keys are refused: a provider keeping the other copy would run
            # a request that was never judged
            line = json.loads(raw, object_pairs_hook=_no_duplicates)
        except (ValueError, RecursionError):
            raise UploadProblem(
                f"{where} is not one JSON object (or gives a key twice)",
                f"{korean}이(가) JSON 객체 하나가 아니거나 같은 키가 두 번 있습니다",
            ) from None
        if not isinstance(line, dict) or not isinstance(line.get("body"), dict):
            raise UploadProblem(
                f"{where} has no request body object", f"{korean}에 요청 본문(body) 객체가 없습니다"
            )
        url = line.get("url")
        dialect = dialect_for(url) if isinstance(url, str) else None
        if dialect is None:
            raise UploadProblem(
                f"{where} names an API the gateway does not inspect; batch lines may call "
                "/v1/chat/completions, /v1/responses or /v1/embeddings",
                f"{korean}의 url은 게이트웨이가 검사하지 않는 API입니다. 배치 줄은 "
                "/v1/chat/completions, /v1/responses, /v1/embeddings만 호출할 수 있습니다",
            )
        try:
            body = dialect.extract(line["body"])
        except UninspectableContent as exc:  # the dialect's reason, in English
            raise UploadProblem(f"{where}: {exc}", f"{korean}: {exc}") from None
        except RecursionError:
            raise UploadProblem(
                f"{where} is nested too deeply to inspect",
                f"{korean}의 중첩이 너무 깊어 검사할 수 없습니다",
            ) from None
        at = (*prefix, index)
        for segment in body.segments:
            found.segments.append(_moved(segment, (*at, "body")))
        model = line["body"].get("model")
        if isinstance(model, str) and model:
            found.segments.append(Segment((*at, "body", "model"), model, "fixed"))
        for kind in body.attachments:
            found.attach(kind)
        for kind in body.server_references:
            found.refer(kind)
        rest = Extraction()
        rest.skip(("body",))
        rest.sweep(line)
        for segment in rest.segments:
            found.segments.append(_moved(segment, at))
        documents[index] = line
    return BatchFile(lines, documents)


def _moved(segment: Segment, prefix: JSONPath) -> Segment:
    free_from = None if segment.free_from is None else segment.free_from + len(prefix)
    return Segment(
        (*prefix, *segment.path),
        segment.text,
        segment.form,
        segment.prefix,
        segment.charset,
        free_from,
    )
