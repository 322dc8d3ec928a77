"""The company index reloads into the active policy's engines without a restart: built off
the event loop, swapped as one, the old engine left intact for requests that hold it, and
an index that cannot be used leaves the old one serving."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from gateway.company.registry import delete_part
from gateway.detect import SUPPORTED_ENTITIES
from gateway.detect.company.index import CompanyIndex, index_generation
from gateway.detect.engine import DetectionEngine
from gateway.policy import parse_policy
from gateway.policy.active import PolicyHolder
from gateway.policy.evaluate import CompiledPolicy
from gateway.rollout.company_notices import LocalCompanyNotices, Notice
from gateway.rollout.company_reload import CompanyReloader
from tests.detect.company.support import KEY, build_customers
from tests.support.rollout import BASE_POLICY

RECORDS_POLICY = """
policy: company-records
detection:
  company:
    records: {min_fields: 2}
rules:
  - id: customer-records
    when: {entities: [COMPANY_RECORD]}
    action: block
"""
ROW = "이 고객 건 처리해줘: 김민수, 010 2345 6789"


def compiled(text: str) -> CompiledPolicy:
    return parse_policy(text.encode(), SUPPORTED_ENTITIES)


def reloader_over(folder: Path, policy: str = RECORDS_POLICY) -> CompanyReloader:
    folder.mkdir(exist_ok=True)
    holder = PolicyHolder.from_policy(compiled(policy), company=CompanyIndex.open(folder, KEY))
    return CompanyReloader(holder, folder, KEY)


def records(engine: DetectionEngine, text: str = ROW) -> int:
    return sum(f.entity_type == "COMPANY_RECORD" for f in engine.scan_segments([text])[0])


def test_a_registered_table_is_matched_after_a_reload_and_old_engines_stay_intact(
    tmp_path: Path,
) -> None:
    reloader = reloader_over(tmp_path / "index")
    holder = reloader.holder
    in_flight = holder.engine_for(holder.current())  # what a running request holds
    assert records(in_flight) == 0

    build_customers(tmp_path / "index")  # as the CLI or the admin API writes it
    report = asyncio.run(reloader.reload("tester"))
    assert report.outcome == "reloaded" and report.ok
    assert (report.tables, report.rows) == (1, 4)
    assert report.generation == index_generation(tmp_path / "index") != report.previous_generation
    assert records(holder.engine_for(holder.current())) == 2
    assert records(in_flight) == 0  # a request that started before finishes as it began

    matching = holder.engine_for(holder.current())
    assert delete_part(tmp_path / "index", "table", "customers")
    gone = asyncio.run(reloader.reload("tester"))
    assert gone.outcome == "reloaded" and (gone.tables, gone.rows) == (0, 0)
    assert records(holder.engine_for(holder.current())) == 0
    # the removed files stay mapped for the request that still holds the engine
    assert records(matching) == 2


def test_nothing_is_rebuilt_when_the_index_is_unchanged_or_not_scanned(tmp_path: Path) -> None:
    reloader = reloader_over(tmp_path / "index")
    engine = reloader.holder.active.engine
    assert asyncio.run(reloader.reload("tester")).outcome == "unchanged"
    assert reloader.holder.active.engine is engine

    plain = reloader_over(tmp_path / "plain", BASE_POLICY)  # no company type scanned
    engine = plain.holder.active.engine
    build_customers(tmp_path / "plain")
    report = asyncio.run(plain.reload("tester"))
    assert report.outcome == "reloaded" and report.rows == 4
    assert plain.holder.active.engine is engine  # it never reads the index: kept
    assert plain.holder.company is not None and "customers" in plain.holder.company.tables


def test_a_broken_index_keeps_the_old_one_serving(tmp_path: Path) -> None:
    folder = tmp_path / "index"
    build_customers(folder)
    reloader = reloader_over(folder)
    served = reloader.holder.active.engine
    build_customers(tmp_path / "other", key=b"another-company-key-0123456789ab")
    shutil.copytree(tmp_path / "other" / "tables" / "customers", folder / "tables" / "partners")

    report = asyncio.run(reloader.reload("tester"))
    assert report.outcome == "failed" and not report.ok
    assert "another company key" in (report.error or "")
    assert report.generation == report.previous_generation and report.rows == 4
    assert reloader.holder.active.engine is served and records(served) == 2
    assert reloader.status()["reload_error"]["message"] == report.error

    (folder / "tables" / "partners" / "meta.json").write_text("{not json")
    assert "unreadable meta.json" in (asyncio.run(reloader.reload("tester")).error or "")

    shutil.rmtree(folder / "tables" / "partners")
    # the generation on disk is the served one again: nothing to rebuild, error cleared
    assert asyncio.run(reloader.reload("tester")).outcome == "unchanged"
    assert "reload_error" not in reloader.status()


def test_a_policy_that_names_a_table_blocks_its_removal_and_its_reload(tmp_path: Path) -> None:
    folder = tmp_path / "index"
    build_customers(folder)
    named = RECORDS_POLICY.replace("{min_fields: 2}", "{min_fields: 2, tables: [customers]}")
    reloader = reloader_over(folder, named)
    assert reloader.policy_naming("table", "customers") == "company-records"
    assert reloader.policy_naming("table", "suppliers") is None
    assert reloader.policy_naming("documents", "customers") is None

    delete_part(folder, "table", "customers")  # behind the gateway's back (a shell)
    report = asyncio.run(reloader.reload("tester"))
    assert report.outcome == "failed" and "no registered table named customers" in str(report.error)
    assert records(reloader.holder.active.engine) == 2  # still matched, never blind


def test_a_replica_follows_another_ones_notice(tmp_path: Path) -> None:
    """Two workers of one host (``rollout.local_dir``), one index directory."""
    folder, shared = tmp_path / "index", tmp_path / "rollout"
    first, second = reloader_over(folder), reloader_over(folder)
    for reloader in (first, second):
        reloader._notices = LocalCompanyNotices(shared)
        reloader._poll = 0.02

    async def scenario() -> None:
        second.start()
        try:
            build_customers(folder)
            report = await first.reload("tester")
            assert report.announced
            for _ in range(250):
                if second.index.generation == report.generation:
                    break
                await asyncio.sleep(0.02)
            assert second.index.generation == report.generation
            assert records(second.holder.active.engine) == 2
            assert second.status()["last_reload"]["by"] == f"replica {first.replica}"
        finally:
            await second.stop()

    asyncio.run(scenario())
    notice = Notice.parse((shared / "company-index.json").read_bytes())
    assert notice is not None and notice.replica == first.replica


@pytest.mark.parametrize(
    "raw",
    [b"", b"[]", b'{"generation": "../../etc", "replica": "x", "at": 1}', b'{"at": "soon"}'],
)
def test_a_notice_no_replica_wrote_is_ignored(raw: bytes) -> None:
    assert Notice.parse(raw) is None


def test_the_generation_changes_with_every_registration_and_only_then(tmp_path: Path) -> None:
    folder = tmp_path / "index"
    folder.mkdir()
    empty = index_generation(folder)
    build_customers(folder)
    once = index_generation(folder)
    assert once != empty and once == CompanyIndex.open(folder, KEY).generation
    (folder / "tables" / ".customers.in-progress").mkdir()  # a registration under way
    assert index_generation(folder) == once
    build_customers(folder)  # the same rows again, within the same second: still new
    assert index_generation(folder) not in (once, empty)
