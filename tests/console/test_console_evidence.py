"""The evidence page: incident responders only (not even admins), sealed items listed by
record, never a value in what the server sends; opening happens in the browser
(tests/console/test_console_browser.py) and is checked here against the gateway's own
opener."""

from __future__ import annotations

import html
import re

import httpx
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from gateway.audit.evidence import open_evidence
from tests.console.conftest import RAW_VALUES, TOKENS, ConsoleStack

_ROW = re.compile(r'<tr class="sealed" data-record-id="([^"]+)" data-sealed="([^"]+)">')


def test_only_a_responder_lists_sealed_evidence(console: ConsoleStack) -> None:
    with console.signed_in("ines") as ines:
        page = ines.get("/console/evidence")
        blocked = ines.get("/console/evidence", params={"decision": "block"})
    assert page.status_code == 200 and 'href="/console/evidence"' in page.text
    rows = _ROW.findall(page.text)
    assert len(rows) == 4  # each seeded request had findings
    assert len(_ROW.findall(blocked.text)) == 3
    key = load_pem_private_key(console.evidence_key.encode(), None)
    opened = [open_evidence(html.unescape(s), rid, key) for rid, s in rows]  # type: ignore[arg-type]
    values = {item["value"] for items in opened for item in items}
    assert any("@" in v for v in values)  # what was sealed is what was sent
    for value in RAW_VALUES:  # ... and none of it is on the page the server sent
        assert value not in page.text
    assert 'name="key"' not in page.text and '<textarea id="evidence-key"' in page.text

    for who in ("root", "audrey", "vic", "alice"):
        with console.signed_in(who) as other:
            refused = other.get("/console/evidence")
            assert refused.status_code == 403, who
            assert 'href="/console/evidence"' not in other.get("/console/").text
    api = httpx.get(
        console.url("/admin/v1/evidence"), headers={"authorization": f"Bearer {TOKENS['root']}"}
    )
    assert api.status_code == 403 and "evidence.read" in api.json()["error"]["message"]
    with console.signed_in("root") as root:
        trail = root.get(
            "/console/audit/export", params={"format": "jsonl", "decision": "admin"}
        ).text
    assert '"action":"evidence.read"' in trail.replace(" ", "")
    assert re.search(r'"user":"root".*"action":"evidence.read".*"outcome":"denied"', trail)
