"""A table registered through ``/admin/v1/company`` on a running gateway is matched by the
next prompt, without a restart, here and on a second replica sharing Redis and the index
directory; a removal stops matching; an index that cannot be opened leaves the old one
serving, and the answer, ``/readyz`` and the admin record say so (never a value)."""

from __future__ import annotations

import csv
import io
import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from tests.detect.company.support import KEY, ROWS, build_customers, raw_values
from tests.rollout.test_company_reload import RECORDS_POLICY as POLICY
from tests.rollout.test_company_reload import ROW
from tests.support.polling import wait_for
from tests.support.rollout import ADMIN, chat, ready, rollout_stack
from tests.support.stack import GatewayStack

SUPPLIER = "Pay the invoice of Hana Park, hana.park@supplier.example"
TABLE = ["name=name", "phone=phone", "email=email", "account=account"]


def customers_csv() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["name", "phone", "email", "account"])
    writer.writerows([[cell or "" for cell in row[:4]] for row in ROWS])
    return out.getvalue().encode()


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "index"
    folder.mkdir()
    return folder


def replica(
    folder: Path,
    index_dir: Path,
    redis_url: str | None,
    key_prefix: str | None,
    policy: str = POLICY,
    **settings: Any,
) -> Any:
    rollout = {"redis_url": redis_url, "key_prefix": key_prefix} if redis_url else {}
    return rollout_stack(
        folder,
        policy,
        settings={"company.index_dir": str(index_dir), **settings},
        environ={"HAETAE_COMPANY_KEY": KEY.decode()},
        **rollout,
    )


def company(stack: GatewayStack) -> httpx.Client:
    return httpx.Client(base_url=stack.url("/admin/v1/company"), headers=ADMIN, timeout=60)


def register_customers(stack: GatewayStack) -> dict[str, Any]:
    with company(stack) as api:
        reply = api.put(
            "/tables/customers",
            params={"column": TABLE},
            content=customers_csv(),
            headers={"content-type": "text/csv"},
        )
    assert reply.status_code == 200, reply.text
    index: dict[str, Any] = reply.json()["index"]
    return index


def blocked(stack: GatewayStack, text: str = ROW) -> bool:
    status = chat(stack.base_url, text).status_code
    assert status in (200, 403), status
    return status == 403


def admin_records(stack: GatewayStack, action: str) -> list[dict[str, Any]]:
    return [
        r.to_dict()
        for r in stack.app.audit.records_between(0, time.time() + 1)
        if r.decision == "admin" and (r.details or {}).get("action") == action
    ]


@pytest.fixture
def single(tmp_path: Path, index_dir: Path, redis_url: str, key_prefix: str) -> Iterator[Any]:
    with replica(tmp_path / "a", index_dir, redis_url, key_prefix) as stack:
        yield stack


def test_a_registered_table_is_matched_at_once_and_a_removed_one_no_more(
    single: GatewayStack, redis_url: str, key_prefix: str
) -> None:
    assert not blocked(single)  # nothing registered yet: the row is just text
    index = register_customers(single)
    assert index["reloaded"] is True and index["announced"] is True
    assert (index["tables"], index["rows"]) == (1, 4)
    assert blocked(single)  # the very next prompt, no restart
    status = ready(single.base_url)["company_index"]
    assert status["generation"] == index["generation"] and status["notices"] == "redis"
    with redis.Redis.from_url(redis_url) as client:
        notice = json.loads(client.get(f"{key_prefix}company-index") or b"{}")
    assert notice["generation"] == index["generation"]

    with company(single) as api:
        reply = api.delete("/tables/customers")
    assert reply.status_code == 200 and reply.json()["index"]["rows"] == 0
    assert not blocked(single)

    records = admin_records(single, "company.register")
    reloads = [r["details"]["reload"] for r in records if "reload" in r["details"]]
    assert [r["generation"] for r in reloads] == [
        index["generation"],
        reply.json()["index"]["generation"],
    ]
    assert reloads[0]["rows"] == 4 and reloads[0]["previous_generation"] != index["generation"]
    shown = json.dumps(records, ensure_ascii=False)
    for value in raw_values():
        assert value not in shown


def test_an_index_changed_by_the_cli_is_served_after_post_reload(
    single: GatewayStack, index_dir: Path
) -> None:
    build_customers(index_dir)  # what `haetae company register-table` writes
    assert not blocked(single)  # the running gateway still serves what it loaded
    with company(single) as api:
        first = api.post("/reload")
        again = api.post("/reload")
    assert first.status_code == 200 and first.json()["index"]["outcome"] == "reloaded"
    assert again.json()["index"]["outcome"] == "unchanged"
    assert blocked(single)


def test_an_index_that_cannot_be_opened_keeps_the_old_one_serving(
    single: GatewayStack, index_dir: Path, tmp_path: Path
) -> None:
    serving = register_customers(single)["generation"]
    # a part hashed with another key, copied in by hand: it would match nothing
    build_customers(tmp_path / "elsewhere", key=b"another-company-key-0123456789ab")
    shutil.copytree(tmp_path / "elsewhere" / "tables" / "customers", index_dir / "tables" / "x")
    with company(single) as api:
        refused = api.post("/reload")
        assert refused.status_code == 409
        assert "another company key" in refused.json()["error"]["message"]
        assert serving in refused.json()["error"]["message_ko"]
        assert blocked(single)  # the old index still matches: never served blind
        status = ready(single.base_url)["company_index"]
        assert status["generation"] == serving and "another company key" in str(
            status["reload_error"]
        )

        suppliers = "name,email\nHana Park,hana.park@supplier.example\n"
        added = api.put(
            "/tables/suppliers",
            params={"column": ["name=name", "email=email"]},
            content=suppliers.encode(),
        )
        assert added.status_code == 200  # written; its answer says it is not served yet
        assert added.json()["index"]["reloaded"] is False
        assert added.json()["index"]["generation"] == serving
        assert "another company key" in added.json()["index"]["error"]
        assert not blocked(single, SUPPLIER)

        shutil.rmtree(index_dir / "tables" / "x")
        fixed = api.post("/reload")
    assert fixed.status_code == 200 and fixed.json()["index"]["tables"] == 2
    assert blocked(single, SUPPLIER) and blocked(single)
    assert "reload_error" not in ready(single.base_url)["company_index"]
    failed = [
        r
        for r in admin_records(single, "company.register")
        if r["details"].get("reload", {}).get("outcome") == "failed"
    ]
    assert [r["status"] for r in failed] == [409, 200]


@pytest.mark.slow
def test_a_long_prompt_scanned_in_a_worker_process_is_matched_after_a_reload(
    tmp_path: Path, index_dir: Path
) -> None:
    settings = {"detection.scan_processes": 1}
    with replica(tmp_path / "a", index_dir, None, None, **settings) as stack:
        assert stack.app.scans is not None
        stack.app.start_scan_workers()  # as `haetae serve` does: warmed with the old engine
        wait_for(lambda: stack.app.scans is not None and stack.app.scans.state == "ready", 120)
        filler = "Here is some unrelated context about the weather and lunch plans. " * 80
        assert not blocked(stack, f"{filler}{ROW}\n{filler}")
        register_customers(stack)
        # the worker gets the new engine's recipe and opens the index the reload opened
        assert blocked(stack, f"{filler}{ROW}\n{filler}")


@pytest.mark.slow
def test_a_second_replica_sharing_redis_and_the_index_follows(
    tmp_path: Path, index_dir: Path, redis_url: str, key_prefix: str
) -> None:
    with (
        replica(tmp_path / "a", index_dir, redis_url, key_prefix) as first,
        replica(tmp_path / "b", index_dir, redis_url, key_prefix) as second,
    ):
        assert not blocked(second)
        generation = register_customers(first)["generation"]
        wait_for(lambda: ready(second.base_url)["company_index"]["generation"] == generation)
        assert blocked(second)
        followed = ready(second.base_url)["company_index"]
        assert followed["last_reload"]["by"].startswith("replica ")
        assert followed["announced"]["generation"] == generation

        with company(first) as api:
            assert api.delete("/tables/customers").status_code == 200
        wait_for(lambda: not blocked(second))
        assert ready(second.base_url)["company_index"]["rows"] == 0


def test_a_table_the_active_policy_names_cannot_be_removed(tmp_path: Path) -> None:
    build_customers(tmp_path / "index")
    named = POLICY.replace("{min_fields: 2}", "{min_fields: 2, tables: [customers]}")
    with replica(tmp_path / "a", tmp_path / "index", None, None, named) as stack:
        with company(stack) as api:
            refused = api.delete("/tables/customers")
        assert refused.status_code == 409
        assert "company-records" in refused.json()["error"]["message"]
        assert "customers" in refused.json()["error"]["message_ko"]
        assert (tmp_path / "index" / "tables" / "customers").is_dir()
        assert blocked(stack)
        assert stack.app.readiness()[1]["company_index"]["notices"] == "off"
