"""docs/providers.md carries the catalog's table, regenerated from catalog.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.providers.catalog import load_catalog
from gateway.providers.catalog_doc import (
    BEGIN,
    END,
    MODELS_BEGIN,
    MODELS_END,
    main,
    render,
    render_models,
    replace_block,
)
from gateway.providers.models import load_models

DOC = Path(__file__).resolve().parents[2] / "docs" / "providers.md"


def test_the_provider_doc_matches_the_catalog() -> None:
    document = DOC.read_text("utf-8")
    assert replace_block(document, render(load_catalog())) == document, (
        "docs/providers.md is stale: run "
        "python -m gateway.providers.catalog_doc --write docs/providers.md"
    )


def test_the_provider_doc_matches_the_model_catalog() -> None:
    document = DOC.read_text("utf-8")
    models = render_models(load_models())
    assert replace_block(document, models, MODELS_BEGIN, MODELS_END) == document, (
        "docs/providers.md is stale: run "
        "python -m gateway.providers.catalog_doc --write docs/providers.md"
    )
    deepseek = next(line for line in models.splitlines() if line.startswith("| `deepseek` |"))
    assert "| CN |" in deepseek and "`deepseek-ai/`" in deepseek
    assert "| `openrouter` | router" in models and "| `together` | on its own" in models


def test_the_table_lists_every_provider_with_its_facts() -> None:
    table = render(load_catalog())
    zai = next(line for line in table.splitlines() if line.startswith("| `zai` |"))
    assert "SG (parent CN)" in zai and "SG (unverified)" in zai
    assert "https://docs.z.ai/legal-agreement/privacy-policy" in zai
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    assert len(rows) == len(load_catalog())


def test_write_replaces_only_the_generated_block(tmp_path: Path) -> None:
    doc = tmp_path / "providers.md"
    doc.write_text(f"intro\n{BEGIN}\nold table\n{END}\nafter\n")
    assert main(["--write", str(doc)]) == 0
    text = doc.read_text()
    assert text.startswith(f"intro\n{BEGIN}\n| id |") and text.endswith(f"{END}\nafter\n")
    assert "old table" not in text


def test_a_document_without_markers_is_refused() -> None:
    with pytest.raises(ValueError, match="markers"):
        replace_block("no markers here", "table")
