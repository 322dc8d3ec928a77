"""``/admin/v1/company``: register tables and documents into the company index, list what
is registered, remove a part, reload the index.

The same index the CLI writes (``company.index_dir``; ``gateway/company/registry.py``):
only keyed hashes are kept, a listing shows names and counts, and the admin record of
each call holds the same (never a cell, never a document's text). Uploads are streamed
to a temporary file under ``company.max_upload_bytes`` (413 beyond), then hashed on a
worker thread: a million-row table takes minutes, and the call answers when it is done.
Registering needs ``company.register`` (admin, policy_author), listing ``company.read``.

After a registration or removal the replica reloads the index and announces it to the
others (``gateway/company/reload.py``) before answering: the answer's ``index`` says which
generation is served now, or why the reload failed and the old index is still served.
``POST /reload`` does the same for an index the CLI changed.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import tempfile
from pathlib import Path, PurePosixPath
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from starlette.datastructures import UploadFile

from gateway.admin.journal import AdminCall, BilingualHTTPException, requires
from gateway.company.registry import (
    MAX_DOCUMENT_BYTES,
    MAX_ZIP_MEMBERS,
    PartKind,
    checked_name,
    delete_part,
    list_parts,
    parse_columns,
    register_documents,
    table_errors,
    table_folder,
    zip_documents,
)
from gateway.company.sources import csv_rows
from gateway.detect.company.records import build_table
from gateway.errors import ConfigError
from gateway.rollout.company_reload import CompanyReloader, ReloadReport

__all__ = ["company_router"]

_CHUNK_FILES = 1000  # multipart files held at once


def company_router(reloader: CompanyReloader | None, max_upload_bytes: int) -> APIRouter:
    router = APIRouter(prefix="/company")

    def _reloader() -> CompanyReloader:
        if reloader is None:
            raise BilingualHTTPException(
                409,
                "no company index is configured (company.index_dir and its key)",
                "회사 색인이 설정되지 않았습니다(company.index_dir와 키).",
            )
        return reloader

    def _index() -> tuple[Path, bytes]:
        found = _reloader()
        return found.folder, found.key

    async def _reload(call: AdminCall) -> ReloadReport:
        """Serve what is on disk now, here and (announced) at the other replicas."""
        report = await _reloader().reload(call.principal.name)
        call.details["reload"] = _recorded(report)
        return report

    @router.post("/reload")
    async def reload(call: Annotated[AdminCall, requires("company.register")]) -> dict[str, Any]:
        async with call.recorded():
            report = await _reload(call)
            if not report.ok:
                raise BilingualHTTPException(
                    409,
                    f"the company index cannot be reloaded, still serving generation "
                    f"{report.generation}: {report.error}",
                    f"회사 색인을 다시 읽을 수 없어 기존 색인(세대 {report.generation})으로 "
                    f"계속 검사합니다: {report.error}",
                )
            return {"index": _answer(report)}

    @router.get("/sources")
    async def sources(call: Annotated[AdminCall, requires("company.read")]) -> dict[str, Any]:
        async with call.recorded():
            folder, secret = _index()
            parts = await asyncio.to_thread(list_parts, folder, secret)
            call.details["parts"] = len(parts)
            return {"sources": parts}

    @router.put("/tables/{name}")
    async def table(
        name: str,
        request: Request,
        call: Annotated[AdminCall, requires("company.register")],
        column: Annotated[list[str], Query()],
        region: str = "KR",
    ) -> dict[str, Any]:
        async with call.recorded(target={"kind": "table"}):
            folder, secret = _index()
            checked = _name(name)
            columns = _unprocessable(parse_columns, column)
            names = [c.name for c in columns]
            upload = await _spool(request, max_upload_bytes)
            try:

                def build() -> Any:
                    rows = csv_rows(upload, names)
                    with table_errors():
                        target = table_folder(folder, checked)
                        by = call.principal.name
                        return build_table(target, checked, columns, rows, secret, region, by)

                stats = await asyncio.to_thread(_unprocessable, build)
            finally:
                _discard(upload)
            call.details.update(
                rows=stats.rows, cells=stats.cells, bytes=stats.bytes, columns=names
            )
            return {
                "name": stats.name,
                "kind": "table",
                "rows": stats.rows,
                "cells": stats.cells,
                "index": _answer(await _reload(call)),
            }

    @router.put("/documents/{name}")
    async def documents(
        name: str,
        request: Request,
        call: Annotated[AdminCall, requires("company.register")],
        kind: Literal["document", "source_code"] = "document",
        keep_comments: bool = False,
    ) -> dict[str, Any]:
        async with call.recorded(target={"kind": "documents"}):
            folder, secret = _index()
            checked = _name(name)
            content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if content_type == "multipart/form-data":
                files = await _form_files(request, max_upload_bytes)
                stats = await asyncio.to_thread(
                    _unprocessable,
                    lambda: register_documents(
                        folder,
                        checked,
                        files,
                        secret,
                        kind=kind,
                        keep_comments=keep_comments,
                        registered_by=call.principal.name,
                    ),
                )
            elif content_type in ("application/zip", "application/x-zip-compressed"):
                upload = await _spool(request, max_upload_bytes)
                try:
                    stats = await asyncio.to_thread(
                        _unprocessable,
                        lambda: register_documents(
                            folder,
                            checked,
                            zip_documents(upload),
                            secret,
                            kind=kind,
                            keep_comments=keep_comments,
                            registered_by=call.principal.name,
                        ),
                    )
                finally:
                    _discard(upload)
            else:
                raise BilingualHTTPException(
                    415,
                    "send documents as multipart/form-data (field 'file') or application/zip",
                    "문서는 multipart/form-data('file' 필드) 또는 application/zip으로 보내세요.",
                )
            call.details.update(
                documents=stats.documents, skipped=stats.skipped, bytes=stats.bytes, kind=kind
            )
            return {
                "name": stats.name,
                "kind": "documents",
                "documents": stats.documents,
                "skipped": stats.skipped,
                "fingerprints": stats.fingerprints,
                "index": _answer(await _reload(call)),
            }

    @router.delete("/tables/{name}")
    async def delete_table(
        name: str, call: Annotated[AdminCall, requires("company.register")]
    ) -> dict[str, Any]:
        return await _delete(call, "table", name)

    @router.delete("/documents/{name}")
    async def delete_documents(
        name: str, call: Annotated[AdminCall, requires("company.register")]
    ) -> dict[str, Any]:
        return await _delete(call, "documents", name)

    async def _delete(call: AdminCall, kind: PartKind, name: str) -> dict[str, Any]:
        async with call.recorded(target={"kind": kind}):
            folder, _ = _index()
            checked = _name(name)
            policy = _reloader().policy_naming(kind, checked)
            if policy is not None:
                raise BilingualHTTPException(
                    409,
                    f"the active policy '{policy}' names {kind} {checked} in detection.company: "
                    "activate a policy without it first",
                    f"활성 정책 '{policy}'이(가) detection.company에서 '{checked}'을(를) 지정하고 "
                    "있습니다. 먼저 이를 뺀 정책을 활성화하세요.",
                )
            if not await asyncio.to_thread(delete_part, folder, kind, checked):
                raise BilingualHTTPException(
                    404, f"no registered {kind} named {name}", f"등록된 '{name}'이(가) 없습니다."
                )
            return {
                "name": name,
                "kind": kind,
                "deleted": True,
                "index": _answer(await _reload(call)),
            }

    return router


def _recorded(report: ReloadReport) -> dict[str, Any]:
    """The admin record's account of a reload: generations, counts, time, the error."""
    return {k: v for k, v in report.to_dict().items() if v is not None}


def _answer(report: ReloadReport) -> dict[str, Any]:
    """What the caller is told: the generation served now, and the reason if it is not
    the one just written (the old index keeps matching: nothing is served blind)."""
    answer: dict[str, Any] = {
        "reloaded": report.outcome == "reloaded",
        "outcome": report.outcome,
        "generation": report.generation,
        "previous_generation": report.previous_generation,
        "tables": report.tables,
        "rows": report.rows,
        "collections": report.collections,
        "documents": report.documents,
        "announced": report.announced,
    }
    if report.error is not None:
        answer["error"] = report.error
        answer["error_ko"] = (
            f"색인을 다시 읽지 못해 기존 색인(세대 {report.generation})으로 계속 검사합니다."
        )
    return answer


def _name(name: str) -> str:
    return str(_unprocessable(checked_name, name))


def _discard(path: Path) -> None:
    path.unlink(missing_ok=True)


def _zip_files(archive: io.BytesIO) -> list[tuple[str, bytes | None]]:
    return list(zip_documents(archive))


def _unprocessable(function: Any, *args: Any) -> Any:
    """Run ``function``; what the caller sent wrong (a bad name, column, CSV or archive)
    becomes 422 with the reason, which names columns and files, never a cell."""
    try:
        return function(*args)
    except ConfigError as exc:
        raise BilingualHTTPException(422, str(exc), f"등록할 수 없습니다: {exc}") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise BilingualHTTPException(
            422,
            f"the CSV cannot be read ({type(exc).__name__}): UTF-8 with a header line",
            "CSV를 읽을 수 없습니다. 머리글 줄이 있는 UTF-8 파일이어야 합니다.",
        ) from None


def _too_large(limit: int) -> BilingualHTTPException:
    return BilingualHTTPException(
        413,
        f"an upload may be at most {limit} bytes (company.max_upload_bytes)",
        f"업로드는 최대 {limit}바이트입니다(company.max_upload_bytes).",
    )


async def _spool(request: Request, limit: int) -> Path:
    """The request body in a temporary file, refused past ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    handle, name = tempfile.mkstemp(prefix="haetae-company-upload-")
    path = Path(name)
    size = 0
    try:
        with os.fdopen(handle, "wb") as out:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise _too_large(limit)
                out.write(chunk)
    except BaseException:
        _discard(path)
        raise
    if not size:
        _discard(path)
        raise BilingualHTTPException(400, "the upload is empty", "업로드가 비어 있습니다.")
    return path


async def _form_files(request: Request, limit: int) -> list[tuple[str, bytes | None]]:
    """The ``file`` fields of a multipart upload (a zip among them is opened), read whole:
    the declared length must be within ``limit`` (the server holds the body to it)."""
    declared = request.headers.get("content-length")
    if declared is None or not declared.isdigit():
        raise BilingualHTTPException(
            411, "a multipart upload needs a Content-Length", "Content-Length가 필요합니다."
        )
    if int(declared) > limit:
        raise _too_large(limit)
    form = await request.form(max_files=MAX_ZIP_MEMBERS, max_fields=_CHUNK_FILES)
    files: list[tuple[str, bytes | None]] = []
    try:
        for upload in form.getlist("file"):
            if not isinstance(upload, UploadFile):
                continue
            shown = PurePosixPath((upload.filename or "upload").replace("\\", "/")).name
            if shown.lower().endswith(".zip"):  # bounded by the request's length
                archive = io.BytesIO(await upload.read())
                files.extend(_unprocessable(_zip_files, archive))
            else:
                data = await upload.read(MAX_DOCUMENT_BYTES + 1)
                files.append((shown, data if len(data) <= MAX_DOCUMENT_BYTES else None))
    finally:
        await form.close()
    if not files:
        raise BilingualHTTPException(
            400, "no file in the upload (field 'file')", "업로드에 파일이 없습니다('file' 필드)."
        )
    return files
