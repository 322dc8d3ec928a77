"""Registering tables and documents with ``haetae company``: CSV, PostgreSQL, directories,
uploads read by the attachment reader; ``haetae scan`` reports what matches."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path
from urllib.parse import parse_qs, urlsplit, urlunsplit

import pytest

from gateway.cli import main
from gateway.company.sources import document_text
from gateway.detect.company.index import CompanyIndex
from gateway.detect.company.recognizers import CompanyRecognizer
from tests.detect.company.support import KEY, ROWS
from tests.detect.company.test_documents import PLAN

COLUMNS = ["--column", "name=name", "--column", "phone=phone", "--column", "account=account"]


@pytest.fixture
def keyed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HAETAE_COMPANY_KEY", KEY.decode())
    monkeypatch.delenv("HAETAE_CONFIG", raising=False)


def fails(argv: list[str], capsys: pytest.CaptureFixture[str], message: str) -> None:
    """The command exits with 2 and says ``message`` on stderr, naming no value."""
    assert main(argv) == 2
    error = capsys.readouterr().err
    assert message in error, error


def write_csv(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "phone", "email", "account", "employee_id", "memo"])
        writer.writerows([[c or "" for c in row] for row in ROWS])
    return path


def matches(index_dir: Path, text: str) -> int:
    index = CompanyIndex.open(index_dir, KEY)
    return len(CompanyRecognizer(index, ["COMPANY_RECORD"]).analyze(text, []))


def test_a_csv_table_is_registered_listed_and_scanned(
    keyed: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_csv(tmp_path / "customers.csv")
    index = tmp_path / "index"
    args = ["company", "register-table", "--index-dir", str(index), "customers"]
    assert main([*args, "--csv", str(source), *COLUMNS]) == 0
    printed = capsys.readouterr().out
    assert "4 rows" in printed and "김민수" not in printed
    assert "POST /admin/v1/company/reload" in printed  # running gateways are told how
    assert main(["company", "list", "--index-dir", str(index)]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed["tables"]["customers"] == {
        "rows": 4,
        "columns": {"name": "name", "phone": "phone", "account": "account"},
    }
    config = tmp_path / "haetae.yaml"
    config.write_text(f"company:\n  index_dir: {index}\n")
    text = tmp_path / "prompt.txt"
    text.write_text("고객 김민수님, 계좌 110123456789 확인 부탁")
    assert main(["scan", "--config", str(config), "--file", str(text)]) == 0
    found = [f for f in json.loads(capsys.readouterr().out) if f["entity_type"] == "COMPANY_RECORD"]
    assert [(f["source"], f["matched"]) for f in found] == [("customers", 2), ("customers", 2)]
    # the e-mail column was not registered: it never counts
    assert matches(index, "김민수 minsu.kim@example.com") == 0


def test_registration_errors_are_clear(
    keyed: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_csv(tmp_path / "c.csv")
    base = ["company", "register-table", "--index-dir", str(tmp_path / "i")]
    fails(
        [*base, "t", "--csv", str(source), "--column", "nickname=name"],
        capsys,
        "no column nickname",
    )
    fails([*base, "t", "--csv", str(source), "--column", "name=person"], capsys, "unknown type")
    fails([*base, "../x", "--csv", str(source), "--column", "name=name"], capsys, "'../x'")
    fails(
        [*base, "t", "--postgres", "postgresql://x", "--column", "name=name"],
        capsys,
        "--postgres needs --query",
    )


def test_a_missing_key_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("HAETAE_COMPANY_KEY", raising=False)
    monkeypatch.delenv("HAETAE_CONFIG", raising=False)
    fails(["company", "list", "--index-dir", str(tmp_path)], capsys, "HAETAE_COMPANY_KEY")


def test_a_postgresql_query_is_registered(
    keyed: None, tmp_path: Path, postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    import psycopg
    from psycopg import sql

    parts = urlsplit(postgres_url)
    schema = parse_qs(parts.query)["schema"][0]
    server = urlunsplit(parts._replace(query=""))
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        table = sql.Identifier(schema, "employees")
        conn.execute(
            sql.SQL(
                "CREATE TABLE {} (full_name text, mobile text, acct text, active boolean)"
            ).format(table)
        )
        with conn.cursor() as cursor:
            cursor.executemany(
                sql.SQL("INSERT INTO {} VALUES (%s, %s, %s, %s)").format(table),
                [
                    ("박지훈", "010-8765-4321", "1002-345-678901", True),
                    ("Grace Hopper", "010 1111 2222", None, True),
                    ("최퇴사", "010-5555-6666", "222-333-444444", False),
                ],
            )
    query = f'SELECT full_name AS name, mobile, acct FROM "{schema}".employees WHERE active'
    args = ["company", "register-table", "--index-dir", str(tmp_path / "i"), "staff"]
    columns = ["--column", "name=name", "--column", "mobile=phone", "--column", "acct=account"]
    assert main([*args, "--postgres", server, "--query", query, *columns]) == 0
    assert matches(tmp_path / "i", "박지훈 대리 1002345678901") == 2
    assert matches(tmp_path / "i", "grace hopper +82-10-1111-2222") == 2
    assert matches(tmp_path / "i", "최퇴사 010-5555-6666") == 0  # the query left it out
    fails(
        [*args, "--postgres", server, "--query", "SELECT 1 AS name", *columns],
        capsys,
        "no column mobile",
    )
    fails(
        [*args, "--postgres", server, "--query", "SELECT * FROM nowhere", *columns],
        capsys,
        'relation "nowhere" does not exist',  # a mistake in the query is named
    )
    # the driver's own words can quote a row's value or the connection's password
    assert main(
        [*args, "--postgres", server, "--query", "SELECT mobile::int AS name, mobile, acct "
         f'FROM "{schema}".employees', *columns]
    ) == 2  # fmt: skip
    error = capsys.readouterr().err
    assert "22P02" in error and "010-8765-4321" not in error, error
    assert main([*args, "--postgres", "host=x password=s3cr3t-pw port", "--query", query,
                 *columns]) == 2  # fmt: skip
    error = capsys.readouterr().err
    assert "PostgreSQL" in error and "s3cr3t-pw" not in error, error


def docx(text: str) -> bytes:
    body = "".join(f"<w:p><w:r><w:t>{line}</w:t></w:r></w:p>" for line in text.split(". "))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Override PartName="/word/document.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        )
        archive.writestr(
            "word/document.xml",
            '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
            f'wordprocessingml/2006/main"><w:body>{body}</w:body></w:document>',
        )
    return buffer.getvalue()


def test_office_documents_are_read_by_the_attachment_reader(
    keyed: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    read = document_text(docx(PLAN), "plan.docx")
    assert read is not None and "Project Aurora" in read[0] and read[1] is False
    folder = tmp_path / "docs"
    (folder / "node_modules").mkdir(parents=True)
    (folder / "plan.docx").write_bytes(docx(PLAN))
    (folder / "node_modules" / "copy.txt").write_text(PLAN)
    (folder / "logo.bin").write_bytes(bytes(range(256)) * 4)
    index = tmp_path / "index"
    assert main(["company", "register-documents", "--index-dir", str(index), "d", str(folder)]) == 0
    assert "1 without text skipped" in capsys.readouterr().out
    assert CompanyIndex.open(index, KEY).collections["d"].names == ["docs/plan.docx"]
