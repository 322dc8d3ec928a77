"""The ICAP listener (``icap.listen``): connections, OPTIONS, and the two services.

Services: ``/reqmod`` (REQMOD) and ``/respmod`` (RESPMOD). OPTIONS tells the
proxy to preview everything (``Transfer-Preview: *``) with at most
``icap.preview_bytes`` of body (4 KB): requests to other hosts get ``204`` before
the rest of their body travels, a small prompt arrives whole with its request
(no ``100 Continue`` round trip), and ``204`` is welcome outside previews too.
Connections persist; one that breaks the protocol gets an ICAP error and is
closed. Beyond ``icap.max_connections`` new connections get ``503``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import logging
from collections.abc import Callable

from gateway.icap.adapter import IcapAdapter
from gateway.icap.protocol import (
    CONTINUE,
    Body,
    IcapError,
    IcapRequest,
    Limits,
    icap_message,
    read_icap_request,
)
from gateway.settings import IcapSettings

__all__ = ["IcapServer", "istag_for"]

log = logging.getLogger("haetae.icap")

_SERVICES = {"/reqmod": "REQMOD", "/respmod": "RESPMOD"}


@functools.lru_cache(maxsize=8)
def istag_for(policy_version: str) -> str:
    """The service tag: it changes when the policy does, so the proxy drops what it cached."""
    digest = hashlib.sha256(policy_version.encode()).hexdigest()[:24]
    return f'"haetae-{digest}"'


class IcapServer:
    def __init__(
        self, settings: IcapSettings, adapter: IcapAdapter, istag: Callable[[], str]
    ) -> None:
        self.settings = settings
        self._adapter = adapter
        self._istag = istag
        self._limits = Limits(settings.max_header_bytes, settings.idle_timeout)
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._stopping = False  # its connections are being cancelled by ``stop``
        self.address: tuple[str, int] | None = None  # bound address, once started

    async def start(self) -> None:
        host, port = self.settings.address()
        self._server = await asyncio.start_server(
            self._accept,
            host,
            port,
            limit=self.settings.max_header_bytes,
            reuse_port=port != 0,  # several workers share the port, as the proxy's do
        )
        bound = self._server.sockets[0].getsockname()
        self.address = (host, bound[1])
        log.info("icap on %s:%d (/reqmod, /respmod)", bound[0], bound[1])

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        self._stopping = True
        for task in [*self._connections, *self._adapter.tasks]:
            task.cancel()
        await asyncio.gather(*self._connections, *self._adapter.tasks, return_exceptions=True)
        self._server = None

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        if len(self._connections) >= self.settings.max_connections:
            writer.write(icap_message(503, [("ISTag", self._istag())]))
            await _close(writer)
            return
        self._connections.add(task)
        peer = writer.get_extra_info("peername")
        address = str(peer[0]) if peer else "-"
        try:
            await self._serve(reader, writer, address)
        except (ConnectionError, TimeoutError):
            pass  # the proxy went away or fell silent: nothing to answer
        except asyncio.CancelledError:
            # Cancelled by ``stop``: end as a connection that closed. Ending cancelled,
            # the task would make Python 3.11's stream protocol log an error for each
            # connection the proxy kept open (its callback asks a cancelled task for
            # its exception), at every shutdown.
            if not self._stopping:
                raise
        finally:
            self._connections.discard(task)
            await _close(writer)

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer: str
    ) -> None:
        limits = self._limits
        while True:
            try:
                # one deadline per message: the idle wait for its head, then (moved on)
                # its encapsulated heads and preview, all usually in the buffer already
                async with asyncio.timeout(limits.timeout) as deadline:
                    request = await read_icap_request(reader, limits, deadline)
                    if request is None:
                        return
                    service = self._service(request)
                    body = None
                    if request.method != "OPTIONS":
                        body = Body(reader, request, limits, functools.partial(_continue, writer))
                    if body is not None and body.previewing:  # now, so the pipeline has it
                        await body.read_preview()
                if body is None:
                    writer.write(self._options(service))
                    await writer.drain()
                    keep = True
                elif service == "REQMOD":
                    keep = await self._adapter.reqmod(request, body, writer, peer)
                else:
                    keep = await self._adapter.respmod(request, body, writer, peer)
            except IcapError as error:
                log.info("icap error status=%d client=%s reason=%s", error.status, peer, error)
                await self._fail(writer, error.status)
                return  # the next message cannot be found after a broken one
            except (ConnectionError, TimeoutError, asyncio.CancelledError):
                raise
            except Exception as exc:  # never a 204 for what was not judged: fail closed
                log.error("icap failure client=%s error=%s", peer, type(exc).__name__)
                await self._fail(writer, 500)
                return
            if not keep or request.closes:
                return

    @staticmethod
    def _service(request: IcapRequest) -> str:
        """The service a request is for (``REQMOD``/``RESPMOD``), its method checked."""
        service = _SERVICES.get(request.service)
        if service is None:
            raise IcapError(404, "unknown ICAP service")
        if request.method == "OPTIONS":
            if request.body_section is not None:
                raise IcapError(400, "OPTIONS with a body is not supported")
        elif request.method != service:
            raise IcapError(405, f"{request.method} on the {service} service")
        return service

    async def _fail(self, writer: asyncio.StreamWriter, status: int) -> None:
        writer.write(icap_message(status, [("ISTag", self._istag())]))
        await writer.drain()

    def _options(self, method: str) -> bytes:
        settings = self.settings
        headers = [
            ("Methods", method),
            ("Service", "Haetae AI usage guard"),
            ("ISTag", self._istag()),
            ("Max-Connections", str(settings.max_connections)),
            ("Options-TTL", str(settings.options_ttl)),
            ("Allow", "204"),
            ("Preview", str(settings.preview_bytes)),
            ("Transfer-Preview", "*"),
        ]
        return icap_message(200, headers)


async def _continue(writer: asyncio.StreamWriter) -> None:
    writer.write(CONTINUE)
    await writer.drain()


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(ConnectionError, TimeoutError):
        await asyncio.wait_for(writer.wait_closed(), 5)
