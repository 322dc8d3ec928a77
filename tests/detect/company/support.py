"""A registered customer table and document collection shared by the company tests."""

from __future__ import annotations

from pathlib import Path

from gateway.detect.company.index import CompanyIndex
from gateway.detect.company.records import Column, build_table

KEY = b"company-test-key-0123456789abcdef"

COLUMNS = [
    Column("name", "name"),
    Column("phone", "phone"),
    Column("email", "email"),
    Column("account", "account"),
    Column("employee_id", "id"),
    Column("memo", "skip"),
]
ROWS = [
    ["김민수", "010-2345-6789", "Minsu.Kim@Example.com", "110-123-456789", "E-10234", "VIP 고객"],
    ["John Smith", "+1 415 555 2671", "john.smith@acme.io", "9876-5432-1098", "E-20931", ""],
    ["이 서연", "02-3142-2161", "seoyeon@corp.kr", "333-22-1111111", "E-30310", "—"],
    ["Ana María López", "+34 612 345 678", "ana.lopez@ejemplo.es", "ES-44-0001-2222", "", None],
]


def raw_values() -> list[str]:
    """Every registered cell as written and in the forms the index normalises to."""
    values = [cell for row in ROWS for cell in row if cell and cell not in ("—",)]
    values += ["01023456789", "821023456789", "minsu.kim@example.com", "110123456789", "E10234"]
    return values


def build_customers(folder: Path, key: bytes = KEY) -> CompanyIndex:
    build_table(folder / "tables" / "customers", "customers", COLUMNS, ROWS, key, "KR")
    return CompanyIndex.open(folder, key)
