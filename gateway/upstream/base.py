"""The two small interfaces every upstream client implements."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

__all__ = ["Upstream", "UpstreamResponse"]


class UpstreamResponse(Protocol):
    """A response whose head has arrived and whose body has not been read."""

    status_code: int

    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        """Headers as received (names in any case)."""
        ...

    def chunks(self) -> AsyncIterator[bytes]:
        """The body as it arrives, undecoded; failures raise ``Refusal`` subclasses."""
        ...

    async def aclose(self) -> None:
        """Release the connection: back to the pool if the body was read, else closed."""
        ...


class Upstream(Protocol):
    async def open(
        self,
        provider_id: str,
        method: str,
        url: str,
        headers: list[tuple[bytes, bytes]],
        content: bytes,
    ) -> UpstreamResponse:
        """Send the request; returns at the response head, raises 502/504 ``Refusal``s."""
        ...

    async def aclose(self) -> None: ...
