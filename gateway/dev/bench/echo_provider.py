"""A provider on loopback for the in-process workloads: every POST gets one short chat
completion (``ANSWER``, also what the workload's mock transport answers). Run as a
script (``python echo_provider.py PORT``) by whichever Python runs the workload, so it
imports nothing from the tree under test."""

from __future__ import annotations

import sys

import orjson
from aiohttp import web

_REPLY = "The quarter went well; here are three risks and how to handle each of them. " * 3
ANSWER = orjson.dumps(
    {
        "id": "c",
        "object": "chat.completion",
        "created": 0,
        "model": "gpt-4o-mini",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": _REPLY},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 300, "completion_tokens": 60, "total_tokens": 360},
    }
)


async def _answer(request: web.Request) -> web.Response:
    await request.read()
    return web.Response(body=ANSWER, content_type="application/json")


def main() -> None:
    app = web.Application()
    app.router.add_post("/{tail:.*}", _answer)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None)


if __name__ == "__main__":
    main()
