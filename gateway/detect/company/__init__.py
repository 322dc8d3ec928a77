"""Company secrets: exact data match on registered tables and fingerprints of registered
documents and code (see docs/detection.md, "Company secrets").

Importing this package costs nothing; the index and recognizers live in its modules.
"""

from __future__ import annotations

from typing import Final

__all__ = ["COMPANY_ENTITIES", "DOCUMENT_ENTITIES"]

#: Entity types the company index reports; rules may name them in any policy.
COMPANY_ENTITIES: Final = frozenset({"COMPANY_RECORD", "COMPANY_DOCUMENT", "COMPANY_SOURCE_CODE"})
DOCUMENT_ENTITIES: Final = frozenset({"COMPANY_DOCUMENT", "COMPANY_SOURCE_CODE"})
