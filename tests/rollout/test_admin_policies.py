"""The admin API on one replica (no Redis): upload, validate, dry-run, activate, roll back."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gateway.app import Gateway
from gateway.detect import SUPPORTED_ENTITIES
from gateway.dev.testing import ServerThread
from gateway.errors import ConfigError
from gateway.policy import parse_policy
from tests.support.rollout import ADMIN, BASE_POLICY, STRICT_POLICY, chat, ready, rollout_gateway

RRN_TEXT = "my number is 900101-1234568"


@pytest.fixture
def replica(tmp_path: Path) -> Iterator[tuple[ServerThread, Gateway]]:
    with rollout_gateway(tmp_path, file_poll_interval=0) as (gateway, app, _fake):
        yield gateway, app


def admin(gateway: ServerThread) -> httpx.Client:
    return httpx.Client(base_url=gateway.url("/admin/v1"), headers=ADMIN, timeout=10)


def test_an_invalid_policy_is_refused_with_the_loaders_message(replica) -> None:
    gateway, app = replica
    before = app.policy.version
    bad = BASE_POLICY.replace("action: block", "action: explode")
    with admin(gateway) as api:
        reply = api.post("/policies", content=bad, headers={"content-type": "application/yaml"})
        unknown_entity = api.post(
            "/policies/validate", content=BASE_POLICY.replace("EMAIL_ADDRESS", "EMAIL")
        )
        empty = api.post("/policies", content=b"")
        too_big = api.post("/policies", content=b"#" * (1024 * 1024 + 1))
    assert reply.status_code == 422
    with pytest.raises(ConfigError) as loader:
        parse_policy(bad.encode(), SUPPORTED_ENTITIES, source="<upload>")
    assert reply.json()["error"]["message"] == str(loader.value)
    assert "rules[0] (rule 'no-cn').action" in str(loader.value)
    assert unknown_entity.status_code == 422
    assert (
        "'EMAIL' is not an entity the detector knows" in unknown_entity.json()["error"]["message"]
    )
    assert empty.status_code == 400 and too_big.status_code == 413
    assert app.policy.version == before


def test_the_api_needs_the_admin_token(replica) -> None:
    gateway, _app = replica
    reply = httpx.post(gateway.url("/admin/v1/policies"), content=STRICT_POLICY)
    assert reply.status_code == 401


def test_upload_dry_run_activate_and_roll_back(replica) -> None:
    gateway, app = replica
    base_version = app.policy.version
    # Traffic under the base policy: an RRN is not scanned, so it is forwarded.
    assert chat(gateway.base_url, RRN_TEXT).status_code == 200
    assert chat(gateway.base_url, "hello").status_code == 200

    with admin(gateway) as api:
        uploaded = api.post("/policies", content=STRICT_POLICY)
        assert uploaded.status_code == 201, uploaded.text
        candidate = uploaded.json()["version"]
        assert uploaded.json()["uploaded_by"] == "tester"
        added = uploaded.json()["diff_from_active"]["rules"]
        assert [(r["rule"], r["change"]) for r in added] == [("block-rrn", "added")]
        assert api.post("/policies", content=STRICT_POLICY).status_code == 200  # same hash: not new

        listing = api.get("/policies").json()
        assert {v["version"]: v["active"] for v in listing["versions"]} == {
            base_version: True,
            candidate: False,
        }

        report = api.post(f"/policies/{candidate}/dry-run", params={"days": 1}).json()
        # The base policy's records hold no KR_RRN counts: the dry run says so.
        assert report["more_blocked"] == 0
        assert any("KR_RRN" in caveat for caveat in report["caveats"])
        assert report["evaluated"] == 2
        assert report["reconstruction"] == {"checked": 2, "matched": 2}

        activated = api.post(f"/policies/{candidate}/activate")
        assert activated.status_code == 200, activated.text
        assert activated.json()["by"] == "tester"
        assert activated.json()["from"] == base_version and activated.json()["to"] == candidate
        assert ready(gateway.base_url)["policy_version"] == candidate
        assert ready(gateway.base_url)["policy_source"] == "local"
        assert api.post(f"/policies/{candidate}/activate").status_code == 409

        blocked = chat(gateway.base_url, RRN_TEXT)
        assert blocked.status_code == 403 and "block-rrn" in blocked.text

        # Under the strict policy an RRN is recorded; a candidate without the rule
        # would have let it through, and the dry run names the user and rule.
        report = api.post("/policies/dry-run", content=BASE_POLICY, params={"days": 1}).json()
        assert report["fewer_blocked"] == 1
        assert report["fewer_blocked_by_rule"] == {"block-rrn": 1}
        assert report["fewer_blocked_by_user"] == {"(anonymous)": 1}

        rolled = api.post("/policies/rollback")
        assert rolled.status_code == 200, rolled.text
        assert rolled.json()["to"] == base_version and rolled.json()["action"] == "rollback"
        assert [r["rule"] for r in rolled.json()["diff"]["rules"]] == ["block-rrn"]
        assert chat(gateway.base_url, RRN_TEXT).status_code == 200

        history = api.get("/policies/history").json()["changes"]
        assert [(c["action"], c["by"], c["to"]) for c in history[:2]] == [
            ("rollback", "tester", base_version),
            ("activate", "tester", candidate),
        ]
        assert api.get(f"/policies/{candidate}").json()["yaml"] == STRICT_POLICY
        diff = api.get(f"/policies/{candidate}/diff").json()
        assert diff["from"] == base_version and diff["rules"][0]["rule"] == "block-rrn"
        assert api.post("/policies/0000000000000000/activate").status_code == 404
        assert api.get("/policies/0000000000000000").status_code == 404


def test_rollback_with_nothing_before_is_a_conflict(replica) -> None:
    gateway, _app = replica
    with admin(gateway) as api:
        reply = api.post("/policies/rollback")
    assert reply.status_code == 409
    assert "no earlier active version" in reply.json()["error"]["message"]


@pytest.mark.parametrize("reference", ["/etc/passwd", "../outside.txt", "sub/../../outside.txt"])
def test_an_upload_cannot_read_files_outside_the_policy_directory(
    replica, tmp_path: Path, reference: str
) -> None:
    gateway, _app = replica
    (tmp_path.parent / "outside.txt").write_text("secret-term\n")
    policy = (
        "policy: sneaky\ndetection:\n  dictionaries:\n"
        f"    - {{ entity: LEAK, file: '{reference}' }}\n"
        "rules:\n  - { id: leak, when: { entities: [LEAK] }, action: block }\n"
    )
    with admin(gateway) as api:
        reply = api.post("/policies", content=policy)
    assert reply.status_code == 422
    message = reply.json()["error"]["message"]
    assert "outside the policy directory" in message and "secret-term" not in message


@pytest.mark.parametrize("key", ["dictionaries", "allow", "include"])
def test_a_binary_tagged_path_cannot_smuggle_a_file_reference(
    replica, tmp_path: Path, key: str
) -> None:
    """`!!binary` loads as bytes, which the schema would have turned into a path."""
    gateway, _app = replica
    secret = tmp_path.parent / "outside.txt"
    secret.write_text("secret-term\n")
    encoded = base64.b64encode(str(secret).encode()).decode()
    reference = {
        "dictionaries": (
            f"detection:\n  dictionaries:\n    - {{ entity: LEAK, file: !!binary {encoded} }}\n"
        ),
        "allow": f"detection:\n  allow:\n    - {{ file: !!binary {encoded} }}\n",
        "include": f"include: [!!binary {encoded}]\n",
    }[key]
    rules = "rules:\n  - { id: r, when: { api: [chat] }, action: allow }\n"
    policy = f"policy: sneaky\n{reference}{rules}"
    with admin(gateway) as api:
        reply = api.post("/policies", content=policy)
    assert reply.status_code == 422
    assert "secret-term" not in reply.text
    # and straight through the loader, as a hot-reloaded file would be
    with pytest.raises(ConfigError, match="binary values"):
        parse_policy(policy.encode(), SUPPORTED_ENTITIES, source="p.yaml", base_dir=tmp_path)


def test_an_upload_may_use_term_files_next_to_the_policy(replica, tmp_path: Path) -> None:
    gateway, _app = replica
    (tmp_path / "names.txt").write_text("Heron\n")
    policy = (
        "policy: terms\ndetection:\n  dictionaries:\n"
        "    - { entity: CODENAME, file: names.txt }\n"
        "rules:\n  - { id: names, when: { entities: [CODENAME] }, action: block }\n"
    )
    with admin(gateway) as api:
        version = api.post("/policies", content=policy).json()["version"]
        assert api.post(f"/policies/{version}/activate").status_code == 200
    assert chat(gateway.base_url, "where is Heron?").status_code == 403
