"""No network at run time: start-up, Kiwi, the suffix list and every scan stay on this host.

``test_detect_engine.py`` patches the socket functions; this test goes under them with an
audit hook (PEP 578), which sees every connection, name lookup and URL request the
interpreter makes, from Python or C, and refuses it.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

_SCRIPT = """
import sys

NETWORK = ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "socket.sendto",
           "socket.sendmsg", "urllib.Request", "http.client.connect", "ftplib.connect")
attempts = []

def refuse(event, args):
    if event in NETWORK:
        attempts.append(event)
        raise OSError(f"network disabled by test: {event}")

sys.addaudithook(refuse)

import base64
import tldextract
from gateway.detect import DetectionEngine
from gateway.dev.evaluation.score import presidio_baseline

engine = DetectionEngine()  # every entity, PERSON included
assert engine.warm_up() == ["KrPersonRecognizer"]  # Kiwi's model comes from a package
texts = [
    "메일은 gildong@example.co.kr 입니다",
    "어제 김철수를 만났다",  # a bare name: Kiwi runs
    "주소: 서울특별시 강남구 테헤란로 152",
    "see " + base64.b64encode("mail kim@example.com".encode()).decode(),
]
found = {f.entity_type for text in texts for f in engine.scan(text) if f.score >= 0.5}
assert {"EMAIL_ADDRESS", "PERSON", "KR_ADDRESS"} <= found, found
# Presidio's own EmailRecognizer uses the shared extractor; it must be offline too.
assert "EMAIL_ADDRESS" in {r.entity_type for r in presidio_baseline()("mail kim@example.co.kr")}
assert tldextract.extract("a.b.example.co.kr").suffix == "co.kr"
assert attempts == [], attempts
print("ok")
"""


@pytest.mark.slow
def test_no_network_from_start_up_to_scan(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_SCRIPT)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,  # no cache or suffix file lying around in the repo
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "ok"
