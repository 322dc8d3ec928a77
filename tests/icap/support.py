"""A gateway with its ICAP server on, and a raw-socket ICAP client that speaks RFC 3507."""

from __future__ import annotations

import base64
import contextlib
import itertools
import socket
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.stack import GatewayStack, gateway_stack

__all__ = [
    "IcapAnswer",
    "IcapClient",
    "IcapStack",
    "icap_stack",
    "reqmod",
    "respmod",
    "still_in_step",
]


@dataclass
class IcapStack:
    stack: GatewayStack

    @property
    def port(self) -> int:
        assert self.stack.app.icap is not None and self.stack.app.icap.address is not None
        return self.stack.app.icap.address[1]

    def client(self, timeout: float = 10.0) -> IcapClient:
        return IcapClient(socket.create_connection(("127.0.0.1", self.port), timeout=timeout))


@contextlib.contextmanager
def icap_stack(
    folder: Path, settings: Mapping[str, Any] | None = None, **options: Any
) -> Iterator[IcapStack]:
    """``gateway_stack`` with ``icap.listen`` on a free loopback port, loopback trusted."""
    icap = {"icap.listen": "127.0.0.1:0", "icap.trusted_proxies": ["127.0.0.1/32"]}
    with gateway_stack(folder, settings={**icap, **(settings or {})}, **options) as stack:
        yield IcapStack(stack)


@dataclass
class IcapAnswer:
    status: int
    headers: dict[str, str]
    http_head: bytes = b""  # the encapsulated HTTP head, if any
    body: bytes = b""  # the encapsulated body, de-chunked
    sections: list[str] = field(default_factory=list)

    @property
    def http_status(self) -> int:
        return int(self.http_head.split(b" ", 2)[1])

    def http_header(self, name: str) -> str | None:
        for line in self.http_head.split(b"\r\n")[1:]:
            key, _, value = line.partition(b":")
            if key.strip().lower() == name.lower().encode():
                return value.strip().decode()
        return None


class IcapClient:
    """One ICAP connection; reads answers exactly as framed, so reuse is checked too."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._buffer = b""

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> IcapClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _fill(self) -> bool:
        data = self.sock.recv(65536)
        self._buffer += data
        return bool(data)

    def _until(self, marker: bytes) -> bytes:
        while marker not in self._buffer:
            if not self._fill():
                raise ConnectionError(f"closed before {marker!r}: {self._buffer[:200]!r}")
        head, _, self._buffer = self._buffer.partition(marker)
        return head + marker

    def _exactly(self, size: int) -> bytes:
        while len(self._buffer) < size:
            if not self._fill():
                raise ConnectionError("closed inside a section")
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def closed(self) -> bool:
        """Whether the server closed the connection (nothing more to read)."""
        return not self._buffer and not self._fill()

    def read(self) -> IcapAnswer:
        head = self._until(b"\r\n\r\n").decode()
        lines = head[:-4].split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        answer = IcapAnswer(status, headers)
        if status == 100:
            return answer
        sections = [item.strip().split("=") for item in headers["encapsulated"].split(",")]
        answer.sections = [name for name, _ in sections]
        for (_, offset), (_, following) in itertools.pairwise(sections):
            answer.http_head += self._exactly(int(following) - int(offset))
        if sections[-1][0] in ("req-body", "res-body"):
            answer.body = self._chunks()
        return answer

    def _chunks(self) -> bytes:
        body = b""
        while True:
            size = int(self._until(b"\r\n")[:-2].split(b";")[0], 16)
            if size == 0:
                self._until(b"\r\n")
                return body
            body += self._exactly(size + 2)[:-2]


def chunked(body: bytes, *, ieof: bool = False, pieces: int = 1) -> bytes:
    out = b""
    step = max(1, -(-len(body) // pieces))
    for start in range(0, len(body), step):
        part = body[start : start + step]
        out += b"%x\r\n%b\r\n" % (len(part), part)
    return out + (b"0; ieof\r\n\r\n" if ieof else b"0\r\n\r\n")


def _message(
    method: str,
    service: str,
    heads: list[tuple[str, bytes]],
    body: bytes | None,
    headers: Mapping[str, str],
    preview: int | None,
) -> bytes:
    offsets, data = [], b""
    for name, head in heads:
        offsets.append(f"{name}={len(data)}")
        data += head
    kind = "req-body" if method == "REQMOD" else "res-body"
    offsets.append(f"{kind}={len(data)}" if body is not None else f"null-body={len(data)}")
    lines = [f"{method} icap://127.0.0.1/{service} ICAP/1.0", "Host: 127.0.0.1"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if preview is not None:
        lines.append(f"Preview: {preview}")
    lines.append("Encapsulated: " + ", ".join(offsets))
    message = ("\r\n".join(lines) + "\r\n\r\n").encode() + data
    if body is not None:
        if preview is None:
            message += chunked(body)
        elif len(body) <= preview:
            message += chunked(body, ieof=True)
        else:
            message += chunked(body[:preview])
    return message


def http_request(
    url: str,
    body: bytes | None,
    headers: Mapping[str, str] | None = None,
    method: str = "POST",
    origin_form: bool = False,
) -> bytes:
    """An HTTP request head for ``url``: absolute-form (as proxies send it), or origin-form."""
    host = url.split("/")[2]
    target = "/" + url.split("/", 3)[3] if origin_form else url
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}"]
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def reqmod(
    url: str,
    body: bytes | None,
    *,
    icap_headers: Mapping[str, str] | None = None,
    http_headers: Mapping[str, str] | None = None,
    preview: int | None = None,
    method: str = "POST",
    origin_form: bool = False,
) -> bytes:
    """A REQMOD of ``method url`` with ``body``; with ``preview``, only the preview's part."""
    headers = {"Allow": "204", **(icap_headers or {})}
    head = http_request(url, body, http_headers, method, origin_form)
    return _message("REQMOD", "reqmod", [("req-hdr", head)], body, headers, preview)


def respmod(
    url: str,
    status: int,
    body: bytes | None,
    *,
    icap_headers: Mapping[str, str] | None = None,
    response_headers: Mapping[str, str] | None = None,
    request_body: bytes | None = b"{}",
    request_headers: Mapping[str, str] | None = None,
    preview: int | None = None,
) -> bytes:
    headers = {"Allow": "204", **(icap_headers or {})}
    request = http_request(url, request_body, request_headers)
    lines = [f"HTTP/1.1 {status} OK", "Content-Type: application/json"]
    lines += [f"Content-Length: {len(body or b'')}"]
    lines += [f"{k}: {v}" for k, v in (response_headers or {}).items()]
    response = ("\r\n".join(lines) + "\r\n\r\n").encode()
    heads = [("req-hdr", request), ("res-hdr", response)]
    return _message("RESPMOD", "respmod", heads, body, headers, preview)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def still_in_step(client: IcapClient, service: str = "reqmod") -> None:
    """The connection carries another request: nothing was left unread on either side."""
    client.send(f"OPTIONS icap://127.0.0.1/{service} ICAP/1.0\r\nHost: 127.0.0.1\r\n\r\n".encode())
    assert client.read().status == 200
