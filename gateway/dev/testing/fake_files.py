"""The fake provider's file endpoints: uploads, parts, batches, Gemini's resumable protocol.

Each answer is the smallest object the official SDK parses (``client.files.create``,
``client.uploads``, ``client.batches.create``, ``client.beta.files.upload``,
``client.messages.batches.create``, genai's ``client.files.upload``). The bytes
received are recorded by the fake upstream like any request, so tests compare them.
"""

from __future__ import annotations

import re
import time
from typing import Any

from gateway.dev.testing import fake_replies as fr

__all__ = ["file_reply"]

_UPLOAD_PART = re.compile(r"/uploads/([^/]+)/(parts|complete|cancel)$")
_GEMINI_UPLOAD = re.compile(r"/upload/v1[a-z0-9]*/files$")


def file_reply(method: str, path: str, headers: dict[str, str], body: bytes) -> Any:
    """``(status, body, headers)`` for a file endpoint, or ``None`` for any other path."""
    if method in ("GET", "DELETE") and "/files" in path:
        if method == "DELETE":
            return 200, {"id": path.rsplit("/", 1)[-1], "object": "file", "deleted": True}, []
        if path.endswith("/files"):
            return 200, {"object": "list", "data": [], "has_more": False}, []
        return 200, _openai_file(0), []
    if method != "POST":
        return None
    anthropic = "anthropic-version" in headers
    if _GEMINI_UPLOAD.search(path):
        return _gemini_upload(path, headers, body)
    if path.endswith("/messages/batches") and anthropic:
        return 200, _anthropic_batch(), []
    if path.endswith("/files") and anthropic:
        return 200, _anthropic_file(len(body)), []
    if path.endswith("/files"):
        return 200, _openai_file(len(body)), []
    if path.endswith("/batches"):
        return 200, _openai_batch(), []
    if path.endswith("/uploads"):
        return 200, _openai_upload(fr.new_id("upload_"), "pending"), []
    match = _UPLOAD_PART.search(path)
    if match is None:
        return None
    upload_id, action = match.groups()
    if action == "parts":
        part = {"id": fr.new_id("part_"), "object": "upload.part", "upload_id": upload_id}
        return 200, {**part, "created_at": int(time.time())}, []
    upload = _openai_upload(upload_id, "completed" if action == "complete" else "cancelled")
    if action == "complete":
        upload["file"] = _openai_file(0)
    return 200, upload, []


def _openai_file(size: int) -> dict[str, Any]:
    return {
        "id": fr.new_id("file-"),
        "object": "file",
        "bytes": size,
        "created_at": int(time.time()),
        "filename": "upload",
        "purpose": "user_data",
        "status": "processed",
    }


def _openai_upload(upload_id: str, status: str) -> dict[str, Any]:
    return {
        "id": upload_id,
        "object": "upload",
        "bytes": 0,
        "created_at": int(time.time()),
        "expires_at": int(time.time()) + 3600,
        "filename": "upload",
        "purpose": "user_data",
        "status": status,
    }


def _openai_batch() -> dict[str, Any]:
    return {
        "id": fr.new_id("batch_"),
        "object": "batch",
        "endpoint": "/v1/chat/completions",
        "input_file_id": "file-fake",
        "completion_window": "24h",
        "created_at": int(time.time()),
        "status": "validating",
    }


def _anthropic_file(size: int) -> dict[str, Any]:
    return {
        "id": fr.new_id("file_"),
        "type": "file",
        "filename": "upload",
        "mime_type": "text/plain",
        "size_bytes": size,
        "created_at": "2026-01-01T00:00:00Z",
        "downloadable": False,
    }


def _anthropic_batch() -> dict[str, Any]:
    counts = {"canceled": 0, "errored": 0, "expired": 0, "processing": 1, "succeeded": 0}
    return {
        "id": fr.new_id("msgbatch_"),
        "type": "message_batch",
        "processing_status": "in_progress",
        "request_counts": counts,
        "created_at": "2026-01-01T00:00:00Z",
        "expires_at": "2026-01-02T00:00:00Z",
        "ended_at": None,
        "archived_at": None,
        "cancel_initiated_at": None,
        "results_url": None,
    }


def _gemini_upload(path: str, headers: dict[str, str], body: bytes) -> Any:
    command = headers.get("x-goog-upload-command", "")
    if "start" in command:
        host = headers.get("host", "127.0.0.1")
        query = f"upload_id={fr.new_id('up')}&upload_protocol=resumable"
        url = f"http://{host}{path}?{query}"
        return 200, {}, [(b"x-goog-upload-url", url.encode()), (b"x-goog-upload-status", b"active")]
    status = b"final" if "finalize" in command or not command else b"active"
    name = fr.new_id("files/")
    file = {
        "name": name,
        "mimeType": "text/plain",
        "sizeBytes": str(len(body)),
        "state": "ACTIVE",
        "uri": f"https://generativelanguage.googleapis.com/v1beta/{name}",
    }
    return 200, {"file": file}, [(b"x-goog-upload-status", status)]
