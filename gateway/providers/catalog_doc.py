"""The provider and model tables in ``docs/providers.md``, generated from
``catalog.yaml`` and ``models.yaml``.

The catalogs are the one place facts are written; the document is rebuilt from
them (``python -m gateway.providers.catalog_doc --write docs/providers.md``)
and a test fails when the two disagree.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path

from gateway.providers.catalog import CatalogEntry, Fact, load_catalog
from gateway.providers.models import ModelCatalog, load_models

__all__ = [
    "BEGIN",
    "END",
    "MODELS_BEGIN",
    "MODELS_END",
    "render",
    "render_models",
    "replace_block",
]

BEGIN = "<!-- generated from gateway/providers/catalog.yaml: begin -->"
END = "<!-- generated from gateway/providers/catalog.yaml: end -->"
MODELS_BEGIN = "<!-- generated from gateway/providers/models.yaml: begin -->"
MODELS_END = "<!-- generated from gateway/providers/models.yaml: end -->"


def render(catalog: Mapping[str, CatalogEntry]) -> str:
    """The table of all providers, then each provider's notes."""
    lines = [
        "| id | provider | API | hosts | operator | jurisdiction | regions | source |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for entry in catalog.values():
        lines.append(
            "| "
            + " | ".join(
                [
                    f"`{entry.id}`",
                    _cell(entry.name),
                    entry.family,
                    _mark(entry, "hosts", ", ".join(f"`{host}`" for host in entry.hosts)),
                    _mark(entry, "operator", _cell(entry.operator)),
                    _mark(entry, "jurisdiction", _jurisdiction(entry)),
                    _mark(entry, "regions", ", ".join(entry.regions) or "unknown"),
                    _sources(entry),
                ]
            )
            + " |"
        )
    lines += ["", "### Notes", ""]
    for entry in catalog.values():
        if entry.notes or "base_url" in entry.unverified:
            lines.append(f"- `{entry.id}`: {_note(entry)}")
    return "\n".join(lines) + "\n"


def render_models(models: ModelCatalog) -> str:
    """The developers a model id is recognised as, then how aggregators serve them."""
    lines = [
        "| developer | company | jurisdiction | own API | organisations | names start with "
        "| source |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for d in models.developers.values():
        unverified = f" (unverified: {', '.join(d.unverified)})" if d.unverified else ""
        lines.append(
            "| "
            + " | ".join(
                [
                    f"`{d.id}`",
                    _cell(d.name) + unverified,
                    d.jurisdiction,
                    ", ".join(f"`{api}`" for api in d.apis) or "-",
                    ", ".join(f"`{org}/`" for org in d.orgs),
                    ", ".join(f"`{name}`" for name in d.names),
                    f"[source]({d.source})",
                ]
            )
            + " |"
        )
    lines += [
        "",
        "| provider | serves others' models | hosts a request may pin | source |",
        "| --- | --- | --- | --- |",
    ]
    for provider_id, serving in models.serving.items():
        serves = (
            "router: may pass the prompt to the developer's own API"
            if serving.serves == "router"
            else "on its own infrastructure"
        )
        hosts = ", ".join(f"`{h}` ({c})" for h, c in serving.hosts.items()) or "-"
        if "hosts" in serving.unverified:
            hosts += " (unverified)"
        if "serves" in serving.unverified:
            serves += " (unverified)"
        lines.append(f"| `{provider_id}` | {serves} | {hosts} | [source]({serving.source}) |")
    notes = [f"- `{p}`: {_cell(s.notes)}" for p, s in models.serving.items() if s.notes]
    if notes:
        lines += ["", *notes]
    return "\n".join(lines) + "\n"


def replace_block(document: str, block: str, begin: str = BEGIN, end: str = END) -> str:
    """``document`` with the text between the markers replaced by ``block``."""
    head, found, rest = document.partition(begin)
    _, found_end, tail = rest.partition(end)
    if not found or not found_end:
        raise ValueError(f"the document lacks the markers {begin!r} and {end!r}")
    return f"{head}{begin}\n{block}{end}{tail}"


def _cell(text: str) -> str:
    # a table cell: no pipes or line breaks; '<region>' must not read as an HTML tag
    return text.replace("|", "\\|").replace("\n", " ").replace("<", "&lt;")


def _mark(entry: CatalogEntry, fact: Fact, text: str) -> str:
    return f"{text} (unverified)" if fact in entry.unverified else text


def _jurisdiction(entry: CatalogEntry) -> str:
    if entry.parent_jurisdiction is None:
        return entry.jurisdiction
    return f"{entry.jurisdiction} (parent {entry.parent_jurisdiction})"


def _sources(entry: CatalogEntry) -> str:
    links = f"[terms/docs]({entry.source})"
    if entry.regions_source is not None:
        links += f", [regions]({entry.regions_source})"
    return links


def _note(entry: CatalogEntry) -> str:
    parts = []
    if "base_url" in entry.unverified:
        parts.append(f"default base URL {entry.base_url} (unverified).")
    if entry.notes:
        parts.append(_cell(entry.notes))
    return " ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path, help="update the generated block in this file")
    args = parser.parse_args(argv)
    block = render(load_catalog())
    models = render_models(load_models())
    if args.write is None:
        sys.stdout.write(f"{block}\n{models}")
        return 0
    document = replace_block(args.write.read_text("utf-8"), block)
    if MODELS_BEGIN in document:
        document = replace_block(document, models, MODELS_BEGIN, MODELS_END)
    args.write.write_text(document, "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
