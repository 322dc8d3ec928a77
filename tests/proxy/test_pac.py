"""GET /proxy.pac, evaluated by a real JavaScript engine (node) when one is installed."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from gateway.proxy.pac import pac_script
from tests.proxy.support import proxy_stack

# PAC's shExpMatch, as browsers define it: shell globs over the whole host name.
_HARNESS = r"""
const [pac, hosts] = [process.argv[1], JSON.parse(process.argv[2])];
function shExpMatch(text, glob) {
  const pattern = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp("^" + pattern + "$").test(text);
}
eval(pac);
console.log(JSON.stringify(hosts.map((h) => FindProxyForURL("https://" + h + "/", h))));
"""

node = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")


def find_proxy(pac: str, hosts: list[str]) -> dict[str, str]:
    run = subprocess.run(
        ["node", "-e", _HARNESS, pac, json.dumps(hosts)],
        capture_output=True,
        text=True,
        timeout=20,
        check=True,
    )
    return dict(zip(hosts, json.loads(run.stdout), strict=True))


POLICY = """
policy: in-house-llm
rules: []
providers:
  corp-llm:
    family: openai
    base_url: {upstream}
    hosts: [llm.corp.example, 127.0.0.1]
    operator: Example Corp IT
    jurisdiction: KR
    regions: [KR]
"""


@node
def test_ai_hosts_go_to_the_proxy_and_the_rest_direct(tmp_path: Path) -> None:
    with proxy_stack(tmp_path, {"proxy.pac_address": "proxy.corp.example:3128"}) as proxied:
        reply = httpx.get(proxied.stack.url("/proxy.pac"), timeout=5)
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/x-ns-proxy-autoconfig"
    found = find_proxy(
        reply.text,
        [
            "api.openai.com",
            "API.Anthropic.com",
            "generativelanguage.googleapis.com",
            "myresource.openai.azure.com",  # a catalog glob
            "chatgpt.com",  # an AI web app: blocked or recorded at the proxy
            "claude.ai",
            "example.com",
            "openai.com.evil.example",
            "intranet.corp.example",
        ],
    )
    via_proxy = "PROXY proxy.corp.example:3128"
    assert found == {
        "api.openai.com": via_proxy,
        "API.Anthropic.com": via_proxy,
        "generativelanguage.googleapis.com": via_proxy,
        "myresource.openai.azure.com": via_proxy,
        "chatgpt.com": via_proxy,
        "claude.ai": via_proxy,
        "example.com": "DIRECT",
        "openai.com.evil.example": "DIRECT",
        "intranet.corp.example": "DIRECT",
    }


@node
def test_a_provider_the_policy_declares_joins_the_pac_and_is_intercepted(tmp_path: Path) -> None:
    with proxy_stack(tmp_path, policy_text=POLICY) as proxied:
        pac = httpx.get(proxied.stack.url("/proxy.pac"), timeout=5).text
        # the proxy port serves the same file, for clients configured with only the proxy
        assert httpx.get(f"{proxied.proxy_url}/proxy.pac", timeout=5).text == pac
        with proxied.client() as http:
            reply = http.post(
                "https://llm.corp.example/v1/chat/completions",
                json={"model": "local", "messages": [{"role": "user", "content": "hi"}]},
            )
        assert reply.status_code == 200, reply.text
        assert len(proxied.stack.fake.received) == 1
        record = proxied.stack.record(reply.headers["x-haetae-request-id"])
        assert record.provider == "corp-llm"
    found = find_proxy(pac, ["llm.corp.example", "example.com"])
    assert found["llm.corp.example"] == f"PROXY 127.0.0.1:{proxied.port}"
    assert found["example.com"] == "DIRECT"


def test_the_script_lists_exact_hosts_and_globs_apart() -> None:
    script = pac_script(["api.example.ai", "*.example.ai"], "p:1")
    assert '["api.example.ai"]' in script
    assert '["*.example.ai"]' in script
    assert 'return "PROXY p:1"' in script
