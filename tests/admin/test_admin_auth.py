"""The admin API is closed unless a token is configured, and names its caller."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gateway.admin import AdminAuth, build_admin_app, load_admin_tokens
from gateway.admin.journal import AdminJournal
from gateway.errors import ConfigError

TOKEN = "s3cret-admin-token-0001"
Client = Callable[[dict[str, str]], TestClient]


@pytest.fixture
def client(journal: AdminJournal) -> Callable[[dict[str, str]], TestClient]:
    return lambda tokens: TestClient(build_admin_app([], AdminAuth(tokens), journal))


def test_no_token_configured_means_disabled_not_open(client: Client) -> None:
    with client({}) as http:
        reply = http.get("/admin/v1/whoami", headers={"authorization": f"Bearer {TOKEN}"})
    assert reply.status_code == 503
    assert "no admin token is configured" in reply.json()["error"]["message"]


@pytest.mark.parametrize("header", [None, "Bearer wrong-token-xxxxxxxx", f"Basic {TOKEN}"])
def test_missing_or_wrong_token_is_401(client: Client, header: str | None) -> None:
    tokens = load_admin_tokens(env="T", file=None, environ={"T": f"alice:{TOKEN}"})
    headers = {"authorization": header} if header else {}
    with client(tokens) as http:
        reply = http.get("/admin/v1/whoami", headers=headers)
    assert reply.status_code == 401
    assert reply.headers["www-authenticate"] == "Bearer"


def test_token_from_file_names_the_principal(client: Client, tmp_path: Path) -> None:
    file = tmp_path / "tokens"
    file.write_text(f"# admins\nalice:{TOKEN}\n", encoding="utf-8")
    tokens = load_admin_tokens(env="UNSET", file=file, environ={})
    assert TOKEN not in repr(tokens)  # only digests are kept
    with client(tokens) as http:
        reply = http.get("/admin/v1/whoami", headers={"authorization": f"Bearer {TOKEN}"})
    assert reply.status_code == 200
    assert reply.json() == {"name": "alice", "role": "admin"}


def test_short_tokens_are_refused() -> None:
    with pytest.raises(ConfigError, match="shorter than 16"):
        load_admin_tokens(env="T", file=None, environ={"T": "bob:short"})


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/admin/v1/nope"), ("DELETE", "/admin/v1/whoami")]
)
def test_without_a_token_unknown_paths_and_methods_say_401_not_404(
    client: Client, method: str, path: str
) -> None:
    """A stranger learns nothing about which routes exist."""
    tokens = load_admin_tokens(env="T", file=None, environ={"T": f"alice:{TOKEN}"})
    with client(tokens) as http:
        assert http.request(method, path).status_code == 401
        authorised = http.request(method, path, headers={"authorization": f"Bearer {TOKEN}"})
    assert authorised.status_code in (404, 405)
