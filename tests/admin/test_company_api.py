"""``/admin/v1/company`` over a real gateway: tables and documents registered by upload land
in the index the CLI writes (what a replica opens at start-up), listed by name and count,
removed; every call is an admin record holding no registered value."""

from __future__ import annotations

import csv
import io
import json
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.detect.company.index import CompanyIndex
from gateway.detect.company.recognizers import CompanyRecognizer
from tests.detect.company.support import KEY, ROWS, raw_values
from tests.detect.company.test_documents import PLAN, PRICING, RENAMED, found
from tests.support.stack import GatewayStack, gateway_stack

TOKENS = {
    "root": "company-root-token-0001",
    "writer": "company-writer-token-01",
    "watcher": "company-viewer-token-01",
    "reader": "company-auditor-token-1",
}
LIMIT = 64 * 1024
COLUMNS = ["name=name", "phone=phone", "email=email", "account=account", "employee_id=id"]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayStack]:
    folder = tmp_path_factory.mktemp("company-api")
    (folder / "index").mkdir()
    environ = {
        "HAETAE_ADMIN_TOKEN": ",".join(f"{who}:{token}" for who, token in TOKENS.items()),
        "HAETAE_COMPANY_KEY": KEY.decode(),
    }
    settings = {
        "admin.roles": {"writer": "policy_author", "watcher": "viewer", "reader": "auditor"},
        "company.index_dir": str(folder / "index"),
        "company.max_upload_bytes": LIMIT,
    }
    with gateway_stack(folder, settings=settings, environ=environ) as running:
        yield running


def api(stack: GatewayStack, who: str | None) -> httpx.Client:
    headers = {"authorization": f"Bearer {TOKENS[who]}"} if who else {}
    return httpx.Client(base_url=stack.url("/admin/v1/company"), headers=headers, timeout=60)


def customers_csv() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["name", "phone", "email", "account", "employee_id", "memo"])
    writer.writerows([[cell or "" for cell in row] for row in ROWS])
    return out.getvalue().encode()


def admin_records(stack: GatewayStack, action: str) -> list[dict[str, Any]]:
    records = stack.app.audit.records_between(0, time.time() + 1)
    return [
        r.to_dict()
        for r in records
        if r.decision == "admin" and (r.details or {}).get("action") == action
    ]


def index_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def test_a_table_uploaded_as_csv_is_registered_listed_matched_and_removed(
    stack: GatewayStack,
) -> None:
    index_dir = stack.folder / "index"
    with api(stack, "writer") as writer:
        reply = writer.put(
            "/tables/customers",
            params={"column": COLUMNS, "region": "KR"},
            content=customers_csv(),
            headers={"content-type": "text/csv"},
        )
        assert reply.status_code == 200, reply.text
        answer = reply.json()
        index = answer.pop("index")
        assert answer == {"name": "customers", "kind": "table", "rows": 4, "cells": 19}
        assert index["reloaded"] is True and index["tables"] == 1 and index["rows"] == 4
    with api(stack, "reader") as reader:  # an auditor may list
        listed = reader.get("/sources").json()["sources"]
    [table] = [s for s in listed if s["name"] == "customers"]
    assert table["kind"] == "table" and table["rows"] == 4 and table["key_matches"] is True
    assert table["registered_by"] == "writer" and table["registered_at"] > 0
    assert [c["type"] for c in table["columns"]] == ["name", "phone", "email", "account", "id"]

    # what a replica opens at start-up: the same index, and the row is found
    index = CompanyIndex.open(index_dir, KEY)
    row = "김민수 고객, 010 2345 6789"
    assert len(CompanyRecognizer(index, ["COMPANY_RECORD"]).analyze(row, [])) == 2
    stored = index_bytes(index_dir)
    records = json.dumps(admin_records(stack, "company.register"), ensure_ascii=False)
    for value in raw_values():
        assert value.encode() not in stored and value not in records
        assert value not in json.dumps(listed, ensure_ascii=False)
    [record] = [
        r for r in admin_records(stack, "company.register") if r["details"].get("rows") == 4
    ]
    assert record["details"]["outcome"] == "ok"
    assert record["user"] == "writer" and record["details"]["target"]["name"] == "customers"

    with api(stack, "root") as root:
        assert root.delete("/tables/customers").json()["deleted"] is True
        gone = root.delete("/tables/customers")
        assert gone.status_code == 404 and "없습니다" in gone.json()["error"]["message_ko"]
        assert not [s for s in root.get("/sources").json()["sources"] if s["name"] == "customers"]
    assert "customers" not in CompanyIndex.open(index_dir, KEY).tables


def test_documents_uploaded_as_files_or_a_zip_are_fingerprinted(stack: GatewayStack) -> None:
    index_dir = stack.folder / "index"
    with api(stack, "writer") as writer:
        reply = writer.put(
            "/documents/plans",
            files=[
                ("file", ("q3-plan.txt", PLAN.encode(), "text/plain")),
                ("file", ("empty.bin", b"\x00\x01\x02", "application/octet-stream")),
            ],
        )
        assert reply.status_code == 200, reply.text
        assert reply.json()["documents"] == 1 and reply.json()["skipped"] == 1
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as zipped:
            zipped.writestr("shop/pricing.py", PRICING)
            zipped.writestr("__MACOSX/._pricing.py", b"junk")
        reply = writer.put(
            "/documents/payments",
            params={"kind": "source_code"},
            content=archive.getvalue(),
            headers={"content-type": "application/zip"},
        )
        assert reply.status_code == 200, reply.text
        assert reply.json()["documents"] == 1
        listed = {s["name"]: s for s in writer.get("/sources").json()["sources"]}
    assert listed["plans"]["documents"] == 1 and listed["plans"]["registered_by"] == "writer"
    assert listed["payments"]["source_code"] == 1 and listed["payments"]["fingerprints"] > 0

    index = CompanyIndex.open(index_dir, KEY)
    assert [s for _, s, _ in found(index, RENAMED)] == ["shop/pricing.py"]
    assert [s for _, s, _ in found(index, "Please summarise: " + PLAN)] == ["q3-plan.txt"]
    stored = index_bytes(index_dir)
    for word in {w for w in PLAN.split() if len(w) > 6}:
        assert word.encode() not in stored


def test_roles_sizes_and_mistakes_are_refused_in_both_languages(stack: GatewayStack) -> None:
    with api(stack, None) as nobody:
        assert nobody.get("/sources").status_code == 401
    with api(stack, "watcher") as viewer:  # a viewer sees counts of the log, not sources
        for reply in (
            viewer.get("/sources"),
            viewer.put("/tables/x", params={"column": COLUMNS}, content=b"name\n"),
            viewer.delete("/documents/plans"),
        ):
            assert reply.status_code == 403, reply.text
            assert "권한이 없습니다" in reply.json()["error"]["message_ko"]
    assert any(r["details"]["outcome"] == "denied" for r in admin_records(stack, "company.read"))
    with api(stack, "writer") as writer:
        big = writer.put(
            "/tables/big",
            params={"column": COLUMNS},
            content=b"name,phone\n" + b"x,0\n" * LIMIT,
            headers={"content-type": "text/csv"},
        )
        assert (
            big.status_code == 413 and "company.max_upload_bytes" in big.json()["error"]["message"]
        )

        def streamed() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
            yield b"name,phone\n"
            for _ in range(LIMIT // 1024 + 1):
                yield b"x,0\n" * 256

        assert (
            writer.put("/tables/big", params={"column": COLUMNS}, content=streamed()).status_code
            == 413
        )
        cases = [
            ("/tables/t", {"column": ["name=colour"]}, b"name\nx\n", "unknown type"),
            ("/tables/t", {"column": ["surname=name"]}, b"name\nx\n", "no column surname"),
            ("/tables/bad name", {"column": COLUMNS}, b"name\nx\n", "letters, digits"),
            ("/tables/t", {"column": ["name=name"]}, b"name\n\xff\xfe\n", "UTF-8"),
        ]
        for path, params, body, reason in cases:
            reply = writer.put(path, params=params, content=body)
            assert reply.status_code == 422, reply.text
            assert reason in reply.json()["error"]["message"]
            assert reply.json()["error"]["message_ko"]
        wrong = writer.put("/documents/d", content=b"text", headers={"content-type": "text/plain"})
        assert wrong.status_code == 415
        broken = writer.put(
            "/documents/d", content=b"PK not a zip", headers={"content-type": "application/zip"}
        )
        assert broken.status_code == 422 and "zip" in broken.json()["error"]["message"]
    refused = [
        r for r in admin_records(stack, "company.register") if r["details"]["outcome"] == "refused"
    ]
    assert {r["status"] for r in refused} >= {413, 415, 422}


def test_without_a_company_index_registration_is_refused(tmp_path: Path) -> None:
    environ = {"HAETAE_ADMIN_TOKEN": f"root:{TOKENS['root']}"}
    with gateway_stack(tmp_path, environ=environ) as bare, api(bare, "root") as root:
        for reply in (
            root.get("/sources"),
            root.put("/tables/t", params={"column": COLUMNS}, content=customers_csv()),
        ):
            assert reply.status_code == 409, reply.text
            assert "company.index_dir" in reply.json()["error"]["message_ko"]
