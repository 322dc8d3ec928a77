"""JSON requests about files and batches: created, completed, and batches of messages.

* ``FileObjects``: OpenAI ``POST /v1/uploads`` (a file's name, purpose and size),
  ``/v1/uploads/{id}/complete`` (its part ids) and ``POST /v1/batches`` (a batch run
  over a file already uploaded, and judged, through ``/v1/files``). Names and
  metadata are scanned; sizes, purposes and ids are scan-only.
* ``AnthropicMessageBatches``: ``POST /v1/messages/batches``, whose every
  ``requests[i].params`` is a Messages request, judged by the Messages dialect.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from gateway.providers.anthropic_messages import AnthropicMessages
from gateway.providers.dialect import (
    Extraction,
    Handler,
    JSONBodyDialect,
    JSONPath,
    refers_to,
    require_object,
)

__all__ = ["AnthropicMessageBatches", "FileObjects"]


class FileObjects(JSONBodyDialect):
    """A JSON body about a file or a batch: everything scanned, ids and settings scan-only."""

    body_fields: Mapping[str, Handler] = MappingProxyType({"input_file_id": refers_to("file_id")})
    structural_fields = frozenset(
        {"purpose", "bytes", "mime_type", "part_ids", "md5", "endpoint", "completion_window"}
    )

    def __init__(self, api: str) -> None:
        self.api = api


_MESSAGES = AnthropicMessages()


def _params(value: Any, path: JSONPath, found: Extraction) -> None:
    params = require_object(value, path, "Messages request")
    found.fields(params, _MESSAGES.body_fields, path, _MESSAGES.structural_fields)


def _request(value: Any, path: JSONPath, found: Extraction) -> None:
    request = require_object(value, path, "batch request")
    found.fields(request, {"params": _params}, path, frozenset({"custom_id"}))


def _requests(value: Any, path: JSONPath, found: Extraction) -> None:
    found.items(value, path, _request)


class AnthropicMessageBatches(JSONBodyDialect):
    """Every request of a Message Batch, each judged as a Messages body."""

    api = "batches"
    body_fields: Mapping[str, Handler] = MappingProxyType({"requests": _requests})
