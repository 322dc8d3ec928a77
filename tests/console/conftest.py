"""A gateway with the console on, one admin token per role, a break-glass admin and
records seeded with resident numbers, e-mail addresses and cloud keys."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from gateway.console.passwords import hash_password
from tests.support.polling import wait_for
from tests.support.rollout import STRICT_POLICY, chat, rollout_stack
from tests.support.stack import GatewayStack
from tests.support.values import AWS_KEY, EMAIL, RRN

TOKENS = {
    "root": "root-admin-token-000001",
    "alice": "alice-author-token-00001",
    "bob": "bob-approver-token-00001",
    "audrey": "auditor-token-0000000001",
    "vic": "viewer-token-00000000001",
    "ines": "responder-token-000000001",
}
ROLES = {
    "root": "admin",
    "alice": "policy_author",
    "bob": "policy_approver",
    "audrey": "auditor",
    "vic": "viewer",
    "ines": "incident_responder",
}
BREAK_GLASS = ("ops", "correct horse battery staple 7")
#: STRICT plus a rule for cloud keys: each seeded value is found, and blocked or redacted
POLICY = (
    STRICT_POLICY
    + """\
  - id: block-secrets
    when: { entities: ["SECRET_*"] }
    action: block
"""
)
#: what the seeded requests said: none of it may appear on any page
RAW_VALUES = (RRN, EMAIL, AWS_KEY, RRN.replace("-", ""), "kim.minsu")
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class ConsoleStack:
    stack: GatewayStack
    #: the incident responders' private key (PEM) for the evidence the gateway seals
    evidence_key: str

    def url(self, path: str = "") -> str:
        return self.stack.url(path)

    def browser(self, language: str = "en") -> httpx.Client:
        """A client that keeps cookies and follows redirects, like a browser."""
        return httpx.Client(
            base_url=self.stack.url(""),
            follow_redirects=True,
            timeout=30,
            headers={"accept-language": language},
        )

    @contextlib.contextmanager
    def signed_in(self, who: str, language: str = "en") -> Iterator[httpx.Client]:
        with self.browser(language) as client:
            reply = sign_in_with_token(client, TOKENS[who])
            assert reply.status_code == 200, reply.text
            yield client


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found is not None, "no CSRF token on the page"
    return found.group(1)


def finished_check(client: httpx.Client, timeout: float = 30) -> httpx.Response:
    """The chain check's page once the job it shows has ended (it stops refreshing)."""

    def ended() -> httpx.Response | None:
        page = client.get("/console/audit/verify")
        return None if 'http-equiv="refresh"' in page.text else page

    return wait_for(ended, timeout, message="the chain check did not end")


def sign_in_with_token(client: httpx.Client, token: str) -> httpx.Response:
    form = client.get("/console/signin")
    return client.post("/console/signin/token", data={"csrf": csrf_of(form.text), "token": token})


def seed(stack: GatewayStack) -> None:
    """Requests carrying each kind of raw value, so the log has findings of each."""
    for text in (
        f"my resident number is {RRN}",
        f"mail me at {EMAIL} please",
        f"deploy with {AWS_KEY} now",
        f"주민번호 {RRN.replace('-', '')} 와 {EMAIL}",
    ):
        chat(stack.base_url, text)


@pytest.fixture
def console(tmp_path: Path) -> Iterator[ConsoleStack]:
    responders = X25519PrivateKey.generate()
    (tmp_path / "evidence.pub").write_bytes(
        responders.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    )
    private_pem = responders.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    environ = {"HAETAE_ADMIN_TOKEN": ",".join(f"{n}:{t}" for n, t in TOKENS.items())}
    settings = {
        "admin.four_eyes": True,
        "admin.roles": ROLES,
        "console.local_admins": {BREAK_GLASS[0]: hash_password(BREAK_GLASS[1])},
        "audit.timezone": "UTC",
        "identity.api_keys.file": str(tmp_path / "keys.jsonl"),
        "identity.api_keys.reload_seconds": 0.05,
        "audit.evidence_public_key_file": str(tmp_path / "evidence.pub"),
    }
    with rollout_stack(tmp_path, POLICY, settings=settings, environ=environ) as stack:
        seed(stack)
        wait_for(lambda: len(stack.audit_tail(10)) >= 4, 10, message="seeded records")
        yield ConsoleStack(stack, private_pem.decode())
