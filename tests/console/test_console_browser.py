"""The console in a real Chromium (Debian's, driven by Playwright; nothing is downloaded):
sign-in by token and through an OIDC provider on another site, the audit page, a
confirmation before a change, and not one Content-Security-Policy violation or
script error on the way."""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.audit.record import AuditRecord
from gateway.dev.testing import ServerThread
from tests.console.conftest import TOKENS, ConsoleStack
from tests.console.oidc_provider import CLIENT_ID, CLIENT_SECRET, OidcProvider
from tests.support.rollout import rollout_stack
from tests.support.values import EMAIL

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
#: reported by the page itself: every CSP violation, whatever the console says about it
WATCH_CSP = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(e.violatedDirective + " " + e.blockedURI);
});
"""


@pytest.fixture
def chromium() -> Iterator[Any]:
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing: `make system-packages` installs it")
        pytest.skip("Chromium is not installed (make system-packages)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            yield browser
        finally:
            browser.close()


class Watched:
    """A page whose console errors, script errors and CSP violations are collected."""

    def __init__(self, browser: Any, base_url: str, locale: str = "ko-KR") -> None:
        self.context = browser.new_context(base_url=base_url, locale=locale)
        self.context.add_init_script(WATCH_CSP)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def violations(self) -> list[str]:
        found: list[str] = self.page.evaluate("window.__violations || []")
        return found

    def sign_in(self, who: str) -> Any:
        """Sign in with ``who``'s admin token (an English page) and return the page."""
        self.page.goto("/console/signin")
        self.page.get_by_label("Token", exact=True).fill(TOKENS[who])
        self.page.get_by_label("Token", exact=True).press("Enter")
        self.page.wait_for_url("**/console/")
        return self.page


def test_sign_in_and_review_the_audit_log(chromium: Any, console: ConsoleStack) -> None:
    watched = Watched(chromium, console.url(""))
    page = watched.page
    page.goto("/console/audit")
    assert page.url.endswith("/console/signin")
    assert page.locator("h1").inner_text() == "해태 콘솔 로그인"
    page.get_by_label("토큰", exact=True).fill(TOKENS["audrey"])
    page.get_by_label("토큰", exact=True).press("Enter")
    page.wait_for_url("**/console/")
    assert watched.violations() == []

    page.get_by_role("link", name="감사 로그").click()
    page.wait_for_url("**/console/audit")
    page.get_by_label("decision", exact=True).fill("block")
    page.get_by_role("button", name="검색").click()
    page.wait_for_url("**/console/audit?*decision=block*")
    rows = page.locator("table.records > tbody > tr")
    assert rows.count() == 3
    rows.first.locator("summary").click()  # the record's detail, keyboard-reachable
    assert page.locator("table.findings").first.is_visible()
    assert "KR_RRN" in page.locator("table.findings").first.inner_text()
    # the stylesheet applied (it would not, were CSP to block it)
    colour = page.locator("span.decision").first.evaluate("e => getComputedStyle(e).color")
    assert colour == "rgb(255, 255, 255)"
    assert watched.violations() == [] and watched.errors == []
    watched.context.close()


def test_a_change_asks_first_and_the_skip_link_works(chromium: Any, console: ConsoleStack) -> None:
    watched = Watched(chromium, console.url(""), locale="en-US")
    page = watched.page
    page.goto("/console/signin")
    page.get_by_label("Token", exact=True).fill(TOKENS["bob"])
    page.get_by_role("region", name="Admin token").get_by_role("button").click()
    page.wait_for_url("**/console/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.goto("/console/policies")
    asked: list[str] = []

    def decline(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", decline)
    page.get_by_role("button", name="Roll back to the previous version").click()
    assert asked == ["Are you sure?"]
    assert page.url.endswith("/console/policies")  # declined: nothing was sent
    assert watched.violations() == [] and watched.errors == []
    watched.context.close()


def test_oidc_sign_in_from_another_site(chromium: Any, tmp_path: Path) -> None:
    """The provider is on ``localhost``, the console on ``127.0.0.1``: two sites, so the
    redirect back is cross-site and the Strict session cookie must still take."""
    idp = OidcProvider(groups=["sec-audit"])
    with ServerThread(idp) as provider:
        idp.issuer = provider.base_url.replace("127.0.0.1", "localhost")
        settings = {
            "console.oidc": {
                "issuer": idp.issuer,
                "client_id": CLIENT_ID,
                "group_roles": {"sec-audit": "auditor"},
            }
        }
        environ = {"HAETAE_CONSOLE_OIDC_SECRET": CLIENT_SECRET}
        with rollout_stack(tmp_path, settings=settings, environ=environ) as stack:
            watched = Watched(chromium, stack.url(""))
            page = watched.page
            page.goto("/console/signin")
            page.get_by_role("link", name="회사 계정으로 로그인").click()
            page.wait_for_url("**/console/")
            assert "kim.auditor" in page.locator("header").inner_text()
            page.get_by_role("link", name="감사 로그").click()
            page.wait_for_url("**/console/audit")
            assert watched.violations() == [] and watched.errors == []
            watched.context.close()


#: set to a folder (docs/images) to keep a screenshot of each page the flow visits
SHOTS = os.environ.get("HAETAE_CONSOLE_SCREENSHOTS")


def shot(page: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"console-{name}.png"), full_page=True)


def test_a_policy_change_from_error_to_activation(chromium: Any, console: ConsoleStack) -> None:
    """An author's mistake shown at its line, a dry run, a proposal; the approver's
    approval; the author's activation; an auditor's search and export."""
    from tests.console.test_console_policies import BROKEN, CHANGED

    author = Watched(chromium, console.url(""), locale="en-US")
    page = author.sign_in("alice")
    page.get_by_role("link", name="Policies").click()
    editor = page.get_by_role("textbox", name="Policy YAML")
    editor.fill(BROKEN)
    page.get_by_role("button", name="Validate and run its tests").click()
    problem = page.locator("#L5")
    assert "has-problem" in (problem.get_attribute("class") or "")
    assert "line 5:" in problem.inner_text()
    shot(page, "policy-error")
    # the page answered 422, as it should: Chromium notes it, and that is the only note
    assert author.errors == [
        "Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"
    ]
    author.errors.clear()
    page.get_by_role("link", name="line 5").first.click()  # the message leads to the line
    assert page.url.endswith("#L5")

    page.get_by_role("textbox", name="Policy YAML").fill(CHANGED)
    page.get_by_role("button", name="Dry run against the last 7 days").click()
    assert "recorded request(s)" in page.get_by_role("status").first.inner_text()
    shot(page, "policy-dry-run")
    page.get_by_role("button", name="Propose (store as a candidate)").click()
    page.wait_for_url("**/console/policies/v/*")
    version_url = page.url.split("?")[0]
    assert page.get_by_role("button", name="Approve this version").count() == 0  # not hers

    approver = Watched(chromium, console.url(""), locale="en-US")
    approver.sign_in("bob").goto(version_url)
    approver.page.get_by_role("button", name="Approve this version").click()
    approver.page.wait_for_url(version_url + "?done=done.policy")
    shot(approver.page, "policy-version")

    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(version_url)
    page.get_by_role("button", name="Activate this version").click()
    page.wait_for_url(version_url + "?done=done.policy")
    assert page.get_by_text("active", exact=True).count() >= 1
    assert console.stack.app.rollout.holder.active.version == version_url.rsplit("/", 1)[1]

    auditor = Watched(chromium, console.url(""), locale="en-US")
    audit = auditor.sign_in("audrey")
    shot(audit, "overview")
    audit.goto("/console/audit?decision=admin")
    trail = audit.locator("table.records > tbody > tr").all_inner_texts()
    assert any("policy.activate · ok" in row and "alice" in row for row in trail)
    audit.goto("/console/audit?entity=KR_RRN")
    audit.locator("table.records summary").first.click()
    shot(audit, "audit")
    with audit.expect_download() as download:
        audit.get_by_role("link", name="CSV for Excel").click()
    assert Path(download.value.path()).read_bytes().startswith(b"\xef\xbb\xbf")
    audit.goto("/console/audit/crosstab?rows=rule&cols=day")
    shot(audit, "crosstab")
    audit.goto("/console/audit/crosstab?rows=decision&cols=provider&start=&top=1")
    assert audit.locator("tr.others th").inner_text() == "Others (1)"
    shot(audit, "crosstab-top")
    audit.get_by_role("link", name=re.compile("^Show more rows")).click()
    assert audit.locator("tr.others").count() == 0 and "top=4" in audit.url
    assert audit.get_by_label("From (inclusive) (UTC)").input_value() == ""  # same period

    for watched in (author, approver, auditor):
        assert watched.violations() == [] and watched.errors == []
        watched.context.close()


def test_a_responder_opens_evidence_in_the_browser_and_the_key_stays_there(
    chromium: Any, console: ConsoleStack
) -> None:
    """WebCrypto (X25519, HKDF, AES-GCM) in Chromium opens what the gateway sealed; no
    request the page makes carries the private key."""
    watched = Watched(chromium, console.url(""), locale="en-US")
    sent: list[str] = []
    watched.page.on("request", lambda r: sent.append(f"{r.url} {r.post_data or ''}"))
    page = watched.sign_in("ines")
    page.get_by_role("link", name="Evidence").click()
    page.wait_for_url("**/console/evidence")
    assert page.locator("tr.sealed").count() == 4
    page.get_by_label("Private key (X25519, PEM)").fill(console.evidence_key)
    page.get_by_role("button", name="Open the evidence on this page").click()
    page.get_by_role("status").filter(has_text="Opened / failed: 4 / 0").wait_for()
    opened = " ".join(page.locator("ul.opened-values").all_inner_texts())
    assert EMAIL in opened and "KR_RRN @ messages[0].content" in opened
    shot(page, "evidence")
    assert not any("PRIVATE KEY" in line or "MC4CAQAw" in line for line in sent)
    assert page.get_by_label("Private key (X25519, PEM)").input_value() == ""  # read once
    page.get_by_role("button", name="Forget the key and the values").click()
    assert page.locator("ul.opened-values").count() == 0
    # a wrong key opens nothing and says so
    page.get_by_label("Private key (X25519, PEM)").fill("-----BEGIN PRIVATE KEY-----\nAAAA\n")
    page.get_by_role("button", name="Open the evidence on this page").click()
    page.get_by_role("status").filter(has_text="Cannot open").wait_for()
    assert watched.violations() == [] and watched.errors == []
    watched.context.close()


def test_keys_identity_and_charts_pages_by_keyboard(chromium: Any, console: ConsoleStack) -> None:
    """An admin issues a key with the keyboard alone, sees it once, and revokes it after a
    confirmation; an auditor's charts and who-is-who pages render with no script error."""
    admin = Watched(chromium, console.url(""), locale="en-US")
    page = admin.sign_in("root")
    page.get_by_role("link", name="Keys").click()
    page.wait_for_url("**/console/keys")
    page.get_by_label("User").fill("kim.dev")
    page.get_by_label("Groups").fill("dev, platform")
    page.get_by_label("Note").fill("laptop")
    page.get_by_label("Note").press("Enter")  # submits the form: no mouse needed
    page.get_by_text("Copy it now").wait_for()
    issued = page.get_by_label("The key (kim.dev)").input_value()
    assert issued.startswith("hk_")
    shot(page, "keys")
    page.goto("/console/keys")
    assert issued not in page.content()  # shown once: not on the next visit
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=re.compile(r"^Revoke k_")).first.click()
    page.get_by_text("Revoked: the gateway refuses the key").wait_for()
    page.get_by_role("link", name="Who is who").click()
    page.wait_for_url("**/console/identities")
    assert "kim.dev" in page.locator("main").inner_text()
    shot(page, "identities")

    auditor = Watched(chromium, console.url(""), locale="en-US")
    charts = auditor.sign_in("audrey")
    charts.get_by_role("link", name="Charts").click()
    charts.wait_for_url("**/console/audit/charts")
    assert charts.get_by_role("img", name="Decisions over time").is_visible()
    charts.get_by_text("The numbers as a table").first.click()
    assert charts.locator("details[open] table").first.is_visible()
    shot(charts, "charts")
    for watched in (admin, auditor):
        assert watched.violations() == [] and watched.errors == []
        watched.context.close()


def test_chain_check_starts_shows_progress_and_result(
    chromium: Any, console: ConsoleStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The auditor starts the check from the audit page; while it runs the page shows
    how far it got and reloads itself (no script), then shows the result it kept.

    The walk is held after two records (the log here is a few records long, checked in
    an instant) so that the running state is on screen long enough to look at."""
    import gateway.audit.verify_store as verify_store

    held, release = threading.Event(), threading.Event()
    check = verify_store.verify_chain

    def gated(records: Iterator[AuditRecord]) -> Iterator[AuditRecord]:
        for n, record in enumerate(records, 1):
            if n == 3:
                held.set()
                release.wait(30)
            yield record

    monkeypatch.setattr(
        verify_store, "verify_chain", lambda records, *a, **k: check(gated(records), *a, **k)
    )
    watched = Watched(chromium, console.url(""), locale="en-US")
    page = watched.sign_in("audrey")
    page.goto("/console/audit")
    page.get_by_role("button", name="Verify the chain").click()
    page.wait_for_url("**/console/audit/verify?done=done.verify_started")
    assert held.wait(10)
    page.goto("/console/audit/verify")  # a reload, or another auditor: the same job
    assert page.get_by_role("heading", name="Checking the chain…").is_visible()
    progress = page.get_by_label("Records checked")
    assert progress.get_attribute("value") == "3"  # read so far: the third is held
    assert int(progress.get_attribute("max") or 0) >= 4
    assert "records a second" in page.locator("p.progress-text").inner_text()
    assert page.locator('meta[http-equiv="refresh"]').count() == 1
    assert page.get_by_role("button", name="Start the check").count() == 0  # one at a time
    shot(page, "verify-running")
    release.set()
    # the page reloads itself until the report is there
    page.get_by_text("OK up to record").wait_for(timeout=15_000)
    assert "The chain verifies" in page.get_by_role("status").inner_text()
    assert page.locator('meta[http-equiv="refresh"]').count() == 0
    assert page.get_by_role("button", name="Check again").is_visible()
    shot(page, "verify-result")
    assert watched.violations() == [] and watched.errors == []
    watched.context.close()


def test_the_editor_checks_as_one_types(chromium: Any, console: ConsoleStack) -> None:
    """No button pressed: the error appears at its line, the caret follows it by
    keyboard, and fixing the line makes it go away."""
    from playwright.sync_api import expect

    from tests.console.test_console_policies import BROKEN

    author = Watched(chromium, console.url(""), locale="en-US")
    page = author.sign_in("alice")
    page.goto("/console/policies")
    editor = page.get_by_role("textbox", name="Policy YAML")
    editor.click()
    editor.press_sequentially(BROKEN, delay=5)
    live = page.get_by_role("region", name="Checked as you type")
    expect(page.locator(".gutter span.bad")).to_have_text(["5"])
    jump = live.get_by_role("button", name="line 5")
    assert "action" in live.inner_text() and live.get_by_role("button").count() == 1
    shot(page, "policy-live")
    jump.focus()
    page.keyboard.press("Enter")
    caret = editor.evaluate("a => a.value.slice(0, a.selectionStart).split('\\n').length")
    assert caret == 5
    page.keyboard.press("End")
    page.keyboard.press("Backspace")
    page.keyboard.type("ck")  # blok -> block
    page.get_by_text("No schema or YAML errors").wait_for()
    assert page.locator(".gutter span.bad").count() == 0
    assert live.get_by_role("button").count() == 0
    assert author.violations() == [] and author.errors == []
    author.context.close()
