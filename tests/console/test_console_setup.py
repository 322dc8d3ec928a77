"""Setting the console up: the password command, the admins' file, languages."""

from __future__ import annotations

import asyncio
import io
import stat
from pathlib import Path

import httpx
import pytest
import yaml

from gateway.cli import main
from gateway.console.i18n import TEXTS, negotiate
from gateway.console.local_admins import read_local_admins
from gateway.console.passwords import verify_local_admin
from gateway.errors import ConfigError
from tests.console.conftest import csrf_of
from tests.support.rollout import rollout_stack

PASSWORD = "a long break-glass password"


def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *argv: str,
        stdin: str = PASSWORD) -> tuple[int, str, str]:  # fmt: skip
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin + "\n"))
    code = main(["console", "password", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_printed_hash_is_settings_yaml_that_verifies(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(monkeypatch, capsys, "ops", "--stdin")
    assert code == 0
    admins = yaml.safe_load(out)["console"]["local_admins"]
    assert admins["ops"].startswith("$argon2id$")
    assert PASSWORD not in out
    assert asyncio.run(verify_local_admin(admins, "ops", PASSWORD))
    assert not asyncio.run(verify_local_admin(admins, "ops", PASSWORD + "!"))
    assert not asyncio.run(verify_local_admin(admins, "nobody", PASSWORD))


def test_a_short_password_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(monkeypatch, capsys, "ops", "--stdin", stdin="short")
    assert code == 2 and "at least 12 characters" in err


def test_the_file_written_by_the_command_signs_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    admins = tmp_path / "secrets" / "console-admins"
    run(monkeypatch, capsys, "ops", "--stdin", "--file", str(admins))
    run(monkeypatch, capsys, "dba", "--stdin", "--file", str(admins), stdin=PASSWORD + "2")
    run(monkeypatch, capsys, "ops", "--stdin", "--file", str(admins), stdin=PASSWORD + "3")
    assert stat.S_IMODE(admins.stat().st_mode) == 0o600
    assert [line.split(":")[0] for line in admins.read_text().splitlines()] == ["dba", "ops"]

    settings = {"console.local_admins_file": str(admins)}
    with (
        rollout_stack(tmp_path / "gw", settings=settings) as stack,
        httpx.Client(base_url=stack.url(""), follow_redirects=True) as browser,
    ):
        form = browser.get("/console/signin").text
        reply = browser.post("/console/signin/password", data={
            "csrf": csrf_of(form), "name": "ops", "password": PASSWORD + "3",
        })  # fmt: skip
        assert reply.url.path == "/console/"


def test_a_bad_line_in_the_file_stops_start_up(tmp_path: Path) -> None:
    admins = tmp_path / "admins"
    admins.write_text("# break-glass\nops:plaintext\n")
    with pytest.raises(ConfigError, match=r"admins:2: expected 'name:\$argon2id\$"):
        read_local_admins(admins, {})
    assert read_local_admins(tmp_path / "missing", {"a": "$argon2id$x"}) == {"a": "$argon2id$x"}


def test_every_text_has_both_languages() -> None:
    for key, (english, korean) in TEXTS.items():
        assert english.strip() and korean.strip(), key
        assert english != korean or key == "console", key


@pytest.mark.parametrize(
    ("asked", "cookie", "header", "expected"),
    [
        ("en", "ko", "ko-KR", "en"),  # the switch wins
        (None, "en", "ko-KR,ko;q=0.9", "en"),  # then the remembered choice
        (None, None, "ko-KR,ko;q=0.9,en;q=0.8", "ko"),
        (None, None, "en-US,en;q=0.9,ko;q=0.8", "en"),
        (None, None, "fr-FR,ko;q=0.5,en;q=0.7", "en"),  # by weight, not by order
        (None, None, "fr-FR,de;q=0.9", "ko"),  # neither: console.language
        (None, None, "en;q=0", "ko"),  # q=0 means "not this"
        ("xx", None, "", "ko"),
    ],
)
def test_language_negotiation(
    asked: str | None, cookie: str | None, header: str, expected: str
) -> None:
    assert negotiate(asked, cookie, header, "ko") == expected
