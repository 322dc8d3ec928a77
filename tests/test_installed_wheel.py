"""``pip install haetae`` serves: the wheel, its core dependencies, nothing else.

The wheel is built from a copy of the checkout (offline: setuptools from this
environment, no build isolation) and installed with pip into a temporary
folder. The gateway then runs from there, in a directory outside the checkout,
in a Python that can import the core dependencies and nothing more: every
distribution installed here that ``pip install haetae`` would not install (the
extras, the dev tools, this checkout's own editable install) is made
unimportable by a finder placed first on ``sys.meta_path``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import sysconfig
from collections.abc import Iterable, Iterator
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from gateway.dev.testing.replicas import free_port
from tests.support.polling import wait_for

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
T = TypeVar("T")

#: The extras' distributions: a plain install must not pull any of them in.
EXTRA_DISTRIBUTIONS = frozenset(
    {"redis", "psycopg", "psycopg-pool", "opentelemetry-sdk", "prometheus-client", "kiwipiepy"}
)

# Runs in the child (``python -I -S -c``): no site-packages, no PYTHONPATH, no
# .pth files (so not this checkout's editable install); then the installed
# wheel, then this environment's site-packages minus the blocked files.
PRELUDE = """
import json, os, sys
from importlib.machinery import PathFinder

config = json.loads(open(sys.argv[1], encoding="utf-8").read())
sys.path[:0] = config["path"]
blocked = frozenset(config["blocked"])


class NotInstalled:
    @staticmethod
    def find_spec(name, path=None, target=None):
        spec = PathFinder.find_spec(name, path)
        if spec is not None and spec.origin and os.path.realpath(spec.origin) in blocked:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, NotInstalled)
import gateway

assert gateway.__file__.startswith(config["path"][0]), gateway.__file__
from gateway.cli import main

sys.exit(main(sys.argv[2:]))
"""


def _applicable(name: str, extras: Iterable[str]) -> list[Requirement]:
    """``name``'s requirements that apply with ``extras`` here; none if not installed."""
    try:
        declared = metadata.requires(name) or []
    except metadata.PackageNotFoundError:
        return []
    wanted = ("", *extras)
    requirements = [Requirement(line) for line in declared]
    return [
        r
        for r in requirements
        if r.marker is None or any(r.marker.evaluate({"extra": e}) for e in wanted)
    ]


def core_closure(top: Iterable[str]) -> set[str]:
    """The distributions pip installs for ``top`` (the wheel's own requirements)."""
    names: set[str] = set()
    seen: set[tuple[str, frozenset[str]]] = set()
    pending = [Requirement(line) for line in top]
    pending = [r for r in pending if r.marker is None or r.marker.evaluate({"extra": ""})]
    while pending:
        requirement = pending.pop()
        key = (canonicalize_name(requirement.name), frozenset(requirement.extras))
        if key in seen:
            continue
        seen.add(key)
        names.add(key[0])
        pending.extend(_applicable(requirement.name, requirement.extras))
    return names


def uninstalled_files(core: set[str]) -> list[str]:
    """Module files of every distribution here that the wheel would not bring."""
    site = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    files: list[str] = []
    for dist in metadata.distributions(path=sorted(site)):
        if canonicalize_name(dist.metadata["Name"]) in core:
            continue
        files += [
            os.path.realpath(dist.locate_file(f))
            for f in dist.files or ()
            if f.suffix in (".py", ".so", ".pyd")
        ]
    return files


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel installed into a folder, and a config for the child's prelude."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, source / name)
    # A copy, so that setuptools' build/ folder never holds stale files of the checkout.
    shutil.copytree(
        ROOT / "gateway", source / "gateway", ignore=shutil.ignore_patterns("__pycache__")
    )
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input", "-q"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", str(work), "."],
        cwd=source,
        check=True,
    )
    (wheel,) = work.glob("haetae-*.whl")
    site = work / "site"
    subprocess.run(
        [
            *pip,
            "install",
            "--no-deps",
            "--no-index",
            "--no-compile",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
    )
    (info,) = site.glob("haetae-*.dist-info")
    core = core_closure(metadata.Distribution.at(info).requires or [])
    assert not core & EXTRA_DISTRIBUTIONS, "an extra became a core dependency"
    venv_site = sysconfig.get_paths()["purelib"]
    config = {"path": [str(site), venv_site], "blocked": uninstalled_files(core)}
    (work / "child.json").write_text(json.dumps(config), encoding="utf-8")
    return work


def haetae(work: Path, *args: str, **popen: Any) -> subprocess.Popen[str]:
    """``haetae ARGS`` from the installed wheel, in a fresh directory, no HAETAE_* set."""
    run_dir = work / "run"
    run_dir.mkdir(exist_ok=True)
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("HAETAE_", "OTEL_"))}
    environ |= popen.pop("env", {})
    command = [sys.executable, "-I", "-S", "-c", PRELUDE, str(work / "child.json"), *args]
    return subprocess.Popen(command, cwd=run_dir, env=environ, text=True, **popen)


@pytest.fixture(scope="module")
def children(installed: Path) -> Iterator[dict[str, Any]]:
    """Both children at once (each spends seconds importing): a gateway started with
    no config file, and one whose setting needs the missing ``redis`` extra."""
    port = free_port()
    log = (installed / "serve.log").open("w", encoding="utf-8")
    # The provider is a closed loopback port: a request that got past the policy
    # would fail there (502) instead of leaving the machine.
    upstream = f"http://127.0.0.1:{free_port()}/v1"
    server = haetae(
        installed,
        "serve",
        "--port",
        str(port),
        env={"HAETAE_PROVIDERS__OPENAI__BASE_URL": upstream},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    needs_redis = haetae(
        installed,
        "serve",
        "--port",
        str(free_port()),
        env={"HAETAE_ROLLOUT__REDIS_URL": "redis://127.0.0.1:6379/0"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        yield {
            "base": f"http://127.0.0.1:{port}",
            "audit": installed / "run" / "var" / "audit.db",
            "log": installed / "serve.log",
            "needs_redis": needs_redis,
            "site": installed / "site",
        }
    finally:
        for child in (server, needs_redis):
            child.send_signal(signal.SIGTERM)
            try:
                child.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        log.close()


def _ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/readyz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def test_a_plain_install_serves_the_default_policy(children: dict[str, Any]) -> None:
    base, audit_db, log = children["base"], children["audit"], children["log"]
    wait_for(
        lambda: _ready(base), 60, message=lambda: f"/readyz; the gateway said:\n{log.read_text()}"
    )
    # The policy came from the installed package: the run directory has no policies/.
    site_default = children["site"] / "gateway" / "policies" / "default.yaml"
    assert f"activated by file:{site_default}" in log.read_text()

    reply = httpx.post(
        f"{base}/openai/v1/chat/completions",
        json={
            "model": "gpt-4o-mini",
            "messages": [{"role": "user", "content": "주민번호 900101-1234568"}],
        },
        timeout=10,
    )

    assert reply.status_code == 403
    assert "pipa-resident-number" in reply.json()["error"]["message"]

    def recorded() -> list[sqlite3.Row] | None:
        if not audit_db.exists():
            return None
        with sqlite3.connect(f"file:{audit_db}?mode=ro", uri=True) as db:
            db.row_factory = sqlite3.Row
            return db.execute("SELECT decision, rule_ids, entities FROM audit_records").fetchall()

    (record,) = wait_for(recorded, 10, message="no audit record")
    assert record["decision"] == "block"
    assert json.loads(record["rule_ids"]) == ["pipa-resident-number"]
    assert json.loads(record["entities"]) == {"KR_RRN": 1}


def test_a_setting_that_needs_a_missing_extra_stops_start_up(children: dict[str, Any]) -> None:
    child = children["needs_redis"]
    out, err = child.communicate(timeout=60)

    assert child.returncode == 2, out + err
    assert err.strip().splitlines()[-1] == (
        "haetae: rollout.redis_url needs the 'redis' extra: pip install 'haetae[redis]'"
    )


def test_the_wheel_ships_every_policy_file(installed: Path) -> None:
    """Policies, shared fragments, term files and the schema: what a policy may include."""

    def files(folder: Path) -> set[str]:
        return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}

    shipped = files(ROOT / "gateway" / "policies")
    assert {"default.yaml", "shared/jurisdiction.yaml", "finance-codenames.txt"} <= shipped
    assert files(installed / "site" / "gateway" / "policies") == shipped


def test_the_installed_gateway_serves_the_console(children: dict[str, Any]) -> None:
    """Templates, the stylesheet and the script come from the wheel: no checkout, no CDN."""
    base, log = children["base"], children["log"]
    wait_for(
        lambda: _ready(base), 60, message=lambda: f"/readyz; the gateway said:\n{log.read_text()}"
    )
    sign_in = httpx.get(f"{base}/console/signin", headers={"accept-language": "ko"}, timeout=10)
    assert sign_in.status_code == 200
    assert "해태 콘솔 로그인" in sign_in.text
    for name, media in (("console.css", "text/css"), ("console.js", "javascript")):
        asset = httpx.get(f"{base}/console/static/{name}", timeout=10)
        assert asset.status_code == 200 and media in asset.headers["content-type"]
    shipped = {p.name for p in (children["site"] / "gateway" / "console").rglob("*.*")}
    assert {"base.html", "audit.html", "console.css", "favicon.svg"} <= shipped
