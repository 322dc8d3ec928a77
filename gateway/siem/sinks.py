"""The places records are delivered to. A sink sends one batch and either returns
(the receiver has it) or raises ``SinkError`` (nothing counts as delivered).

- syslog over TCP or TLS (RFC 5424 messages, octet-counted frames): TCP has no
  application acknowledgement, so "has it" means written and drained to the
  socket; a receiver that closed the connection is noticed before the next
  batch, not after.
- Splunk's HTTP Event Collector: acknowledged by HTTP 200.
- A generic HTTPS webhook, JSON batches signed with HMAC-SHA256: acknowledged by
  any 2xx.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from pathlib import Path
from typing import Protocol

import httpx
import orjson

from gateway.audit.record import AuditRecord
from gateway.siem.formats import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    signature,
    splunk_event,
    syslog_frame,
    webhook_body,
)

__all__ = ["HttpSink", "Sink", "SinkError", "SplunkHecSink", "SyslogSink", "WebhookSink"]


class SinkError(Exception):
    """A batch was not delivered. The message names the sink and an error kind only."""


class Sink(Protocol):
    name: str

    async def send(self, records: list[AuditRecord]) -> None: ...

    async def aclose(self) -> None: ...


def client_tls(
    ca_file: Path | None, cert_file: Path | None = None, key_file: Path | None = None
) -> ssl.SSLContext:
    """Verify the receiver against ``ca_file`` (else the system's CAs); present a
    client certificate when one is configured."""
    context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    if cert_file is not None:
        context.load_cert_chain(str(cert_file), str(key_file) if key_file else None)
    return context


class SyslogSink:
    def __init__(
        self,
        name: str,
        host: str,
        port: int,
        *,
        tls: ssl.SSLContext | None,
        facility: int,
        hostname: str,
        app_name: str,
        message_format: str,
        product_version: str,
        timeout: float,
    ) -> None:
        self.name = name
        self._host, self._port, self._tls = host, port, tls
        self._facility, self._hostname, self._app_name = facility, hostname, app_name
        self._message_format, self._product_version = message_format, product_version
        self._timeout = timeout
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def _connection(self) -> asyncio.StreamWriter:
        if self._writer is not None and self._reader is not None:
            # A receiver that closed its end (restart, idle timeout) shows as EOF;
            # writing into that socket would "succeed" and lose the batch.
            if not self._reader.at_eof() and not self._writer.is_closing():
                return self._writer
            await self.aclose()
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(
                self._host,
                self._port,
                ssl=self._tls,
                server_hostname=self._host if self._tls else None,
            ),
            self._timeout,
        )
        self._reader, self._writer = reader, writer
        return writer

    async def send(self, records: list[AuditRecord]) -> None:
        frames = b"".join(
            syslog_frame(
                record,
                facility=self._facility,
                hostname=self._hostname,
                app_name=self._app_name,
                message_format=self._message_format,
                product_version=self._product_version,
            )
            for record in records
        )
        try:
            writer = await self._connection()
            await asyncio.sleep(0)  # let a close the receiver already sent arrive
            if self._reader is not None and self._reader.at_eof():
                await self.aclose()
                writer = await self._connection()
            writer.write(frames)
            await asyncio.wait_for(writer.drain(), self._timeout)
        except (OSError, TimeoutError, ssl.SSLError) as exc:
            await self.aclose()
            raise SinkError(f"syslog sink {self.name!r}: {type(exc).__name__}") from None

    async def aclose(self) -> None:
        writer, self._writer, self._reader = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError, TimeoutError, ssl.SSLError):
                await asyncio.wait_for(writer.wait_closed(), 1.0)


class HttpSink:
    """What the two HTTP sinks share: one pooled client, errors named by kind."""

    def __init__(self, name: str, url: str, *, tls: ssl.SSLContext, timeout: float) -> None:
        self.name = name
        self._url = url
        self._client = httpx.AsyncClient(verify=tls, timeout=timeout, trust_env=False)

    async def _post(self, body: bytes, headers: dict[str, str], accept: range) -> None:
        try:
            response = await self._client.post(self._url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise SinkError(f"sink {self.name!r}: {type(exc).__name__}") from None
        if response.status_code not in accept:
            raise SinkError(f"sink {self.name!r}: HTTP {response.status_code}")

    async def aclose(self) -> None:
        await self._client.aclose()


class SplunkHecSink(HttpSink):
    def __init__(
        self,
        name: str,
        url: str,
        *,
        token: str,
        index: str | None,
        sourcetype: str,
        source: str,
        host: str,
        tls: ssl.SSLContext,
        timeout: float,
    ) -> None:
        super().__init__(name, url, tls=tls, timeout=timeout)
        self._headers = {"Authorization": f"Splunk {token}", "Content-Type": "application/json"}
        self._index, self._sourcetype, self._source, self._host = index, sourcetype, source, host

    async def send(self, records: list[AuditRecord]) -> None:
        # HEC takes several events in one request, simply concatenated.
        body = b"".join(
            orjson.dumps(
                splunk_event(
                    record,
                    index=self._index,
                    sourcetype=self._sourcetype,
                    source=self._source,
                    host=self._host,
                )
            )
            for record in records
        )
        await self._post(body, self._headers, range(200, 201))


class WebhookSink(HttpSink):
    def __init__(
        self, name: str, url: str, *, secret: bytes, tls: ssl.SSLContext, timeout: float
    ) -> None:
        super().__init__(name, url, tls=tls, timeout=timeout)
        self._secret = secret

    async def send(self, records: list[AuditRecord]) -> None:
        body = webhook_body(records)
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: signature(self._secret, timestamp, body),
        }
        await self._post(body, headers, range(200, 300))
