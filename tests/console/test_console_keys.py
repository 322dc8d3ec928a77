"""Keys and identity in the console: an admin issues a key (shown once) and revokes it,
auditors and viewers may only look, and every step is an admin record without the key."""

from __future__ import annotations

import re

import httpx
import orjson

from tests.console.conftest import TOKENS, ConsoleStack, csrf_of
from tests.support.polling import wait_for

_ISSUED = re.compile(r'id="issued-key"[^>]*value="(hk_[A-Za-z0-9]+)"')


def _chat_with_key(console: ConsoleStack, key: str) -> httpx.Response:
    return httpx.post(
        console.url("/openai/v1/chat/completions"),
        json={"model": "gpt-4o", "messages": [{"role": "user", "content": "hello"}]},
        headers={"authorization": "Bearer sk-test", "x-haetae-key": key},
        timeout=10,
    )


def test_an_admin_issues_a_key_shown_once_then_revokes_it(console: ConsoleStack) -> None:
    with console.signed_in("root") as root:
        page = root.get("/console/keys")
        assert page.status_code == 200 and "Issue a key" in page.text
        made = root.post(
            "/console/keys/create",
            data={"csrf": csrf_of(page.text), "user": "kim", "groups": "dev, sec", "note": "ci"},
        )
        assert made.status_code == 201, made.text
        found = _ISSUED.search(made.text)
        assert found is not None
        key = found.group(1)
        key_id = re.search(r"Key issued <code>(k_[0-9a-f]+)</code>", made.text)
        assert key_id is not None
        # the key works on the gateway at once (the file is re-read), and is then "last used"
        wait_for(lambda: _chat_with_key(console, key).status_code == 200, 10, message="key works")
        listing = root.get("/console/keys").text
        assert key not in listing and key_id.group(1) in listing
        row = listing.split(f"<code>{key_id.group(1)}</code>")[1].split("</tr>")[0]
        assert "dev, sec" in row and "active" in row
        assert re.search(r"<td>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d</td>", row)  # last used
        revoked = root.post(
            f"/console/keys/{key_id.group(1)}/revoke", data={"csrf": csrf_of(listing)}
        )
        assert revoked.status_code == 200 and "Revoked:" in revoked.text
        assert "revoked" in revoked.text.split(f"<code>{key_id.group(1)}</code>")[1]
        wait_for(lambda: _chat_with_key(console, key).status_code == 401, 10, message="refused")
        exported = root.get(
            "/console/audit/export", params={"format": "jsonl", "decision": "admin"}
        ).content
    records = [orjson.loads(line) for line in exported.splitlines() if line.strip()]
    admin = [r for r in records if r["decision"] == "admin"]
    actions = {
        (r["details"]["action"], r["details"].get("operation"), r["details"]["outcome"]): r
        for r in admin
    }
    created = actions[("keys.manage", "create", "ok")]
    assert created["user"] == "root" and created["details"]["target"]["key_id"] == key_id.group(1)
    assert created["details"]["via"] == "console"
    assert ("keys.manage", "revoke", "ok") in actions and ("keys.read", None, "ok") in actions
    assert key not in exported.decode()


def test_auditors_and_viewers_look_but_cannot_issue(console: ConsoleStack) -> None:
    with console.signed_in("audrey") as audrey:
        page = audrey.get("/console/keys")
        refused = audrey.post(
            "/console/keys/create", data={"csrf": csrf_of(page.text), "user": "mallory"}
        )
    assert page.status_code == 200 and "Issue a key" not in page.text
    assert refused.status_code == 403 and "keys.manage" in refused.text
    with console.signed_in("vic", "ko") as vic:
        who = vic.get("/console/identities")
        keys = vic.get("/console/keys")
    assert who.status_code == 200 and keys.status_code == 200
    assert "사용자·역할" in who.text and "발급된 키" in keys.text
    with console.signed_in("alice") as alice:  # an author has no business with keys
        assert alice.get("/console/keys").status_code == 403
        assert 'href="/console/keys"' not in alice.get("/console/").text
    # the admin API itself, with a token: a viewer is refused, and no listing has a digest
    viewer = {"authorization": f"Bearer {TOKENS['vic']}"}
    api = httpx.post(console.url("/admin/v1/keys"), json={"user": "x"}, headers=viewer)
    assert api.status_code == 403 and api.json()["error"]["message_ko"]
    root = {"authorization": f"Bearer {TOKENS['root']}"}
    made = httpx.post(console.url("/admin/v1/keys"), json={"user": "lee"}, headers=root).json()
    listing = httpx.get(console.url("/admin/v1/keys"), headers=viewer).text
    assert made["key"].startswith("hk_") and made["key"] not in listing
    assert "sha256" not in listing and made["id"] in listing
    bad = httpx.post(console.url("/admin/v1/keys"), json={"groups": 1}, headers=root)
    assert bad.status_code == 400


def test_who_is_who(console: ConsoleStack) -> None:
    root = {"authorization": f"Bearer {TOKENS['root']}"}
    for user, groups in (("kim", ["dev"]), ("kim", ["sec"]), ("park", ["dev"])):
        httpx.post(
            console.url("/admin/v1/keys"), json={"user": user, "groups": groups}, headers=root
        ).raise_for_status()
    with console.signed_in("audrey") as audrey:
        page = audrey.get("/console/identities").text
    assert re.search(r'<th scope="row">kim</th><td>dev, sec</td><td class="num">2</td>', page)
    assert re.search(r'<th scope="row">dev</th><td>kim, park</td>', page)
    assert re.search(r'<th scope="row">audrey</th><td><code>auditor</code></td>', page)
    assert re.search(r'<th scope="row">ops</th><td><code>admin</code></td>', page)  # break-glass
    assert 'Gateway key</th><td class="ok">on' in page
