"""``haetae demo``: the gateway in front of a built-in fake provider, no internet needed.

It sends four requests of its own — one allowed, one redacted, two blocked — and
prints what the client got and what the provider actually received, then keeps
serving so that you can try the SDKs or curl against it.
"""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

import httpx

from gateway.app import build_app
from gateway.dev.testing import FakeUpstream, ServerThread
from gateway.errors import ConfigError
from gateway.providers.catalog import load_catalog
from gateway.settings import load_settings

__all__ = ["run_demo"]

EXAMPLES = [
    ("allowed", "openai", "Summarise the Q3 sales plan in three bullets."),
    ("redacted", "openai", "Draft a reply to kim.minsu@example.co.kr about the late invoice."),
    ("blocked", "openai", "고객 주민등록번호는 900101-1234568 입니다. 신용 상태를 알려줘."),
    ("blocked", "deepseek", "Translate our press release into Chinese."),
]


def run_demo(port: int, policy: Path, exit_after_examples: bool = False) -> int:
    fake = FakeUpstream()
    with ServerThread(fake) as upstream:
        overrides: dict[str, object] = {
            f"providers.{provider}.base_url": upstream.base_url for provider in load_catalog()
        }
        overrides |= {"policy": str(policy), "audit.url": "sqlite:///var/demo-audit.db"}
        app = build_app(load_settings(environ={}, overrides=overrides))
        try:
            gateway_server = ServerThread(app, port=port, lifespan="on")
        except OSError as exc:
            raise ConfigError(
                f"cannot listen on 127.0.0.1:{port} ({exc.strerror}); "
                "is the gateway already running? Try --port"
            ) from None
        with gateway_server as gateway:
            print(
                f"Haetae demo: gateway on {gateway.base_url}, fake provider on {upstream.base_url}"
            )
            print(f"policy {app.policy.name} (version {app.policy.version})\n")
            for expected, provider, prompt in EXAMPLES:
                _show(gateway.url(f"/{provider}/v1/chat/completions"), fake, expected, prompt)
            print("The audit log: .venv/bin/haetae audit tail --url sqlite:///var/demo-audit.db")
            if exit_after_examples:
                return 0
            print(_TRY.format(url=gateway.base_url))
            try:
                while gateway.running:
                    time.sleep(0.5)
            except KeyboardInterrupt:
                print("\nstopping")
    return 0


def _show(url: str, fake: FakeUpstream, expected: str, prompt: str) -> None:
    before = len(fake.received)
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": prompt}]}
    response = httpx.post(url, json=body, headers={"authorization": "Bearer sk-demo"}, timeout=10)
    payload = response.json()
    print(f"── expected: {expected} ─ POST {url.split('/', 3)[3]}")
    print(f"   prompt:   {prompt}")
    decision = response.headers.get("x-haetae-decision")
    print(f"   gateway:  HTTP {response.status_code}, decision {decision}")
    received = fake.received[before:]
    if received:
        sent = received[-1].json()["messages"][-1]["content"]
        print(f"   provider received: {sent}")
        print(f"   answer:   {payload['choices'][0]['message']['content']}")
    else:
        print("   provider received: nothing")
        message = textwrap.fill(
            payload["error"]["message"],
            96,
            initial_indent="   refusal:  ",
            subsequent_indent=" " * 13,
        )
        print(message)
    print()


_TRY = """
Try it yourself (Ctrl-C stops the demo):

  curl -s {url}/openai/v1/chat/completions -H 'content-type: application/json' \\
    -d '{{"model":"gpt-4o-mini","messages":[{{"role":"user","content":"mail lee@example.com"}}]}}'

  OPENAI_BASE_URL={url}/openai/v1 OPENAI_API_KEY=sk-demo python your_script.py
"""
