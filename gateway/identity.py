"""Identify: who is calling.

Today the subject is the caller's network address. Gateway-issued keys, trusted
proxy headers and verified JWTs plug in here without touching other stages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gateway.exchange import Exchange

__all__ = ["Identify", "Subject"]


@dataclass(frozen=True, slots=True)
class Subject:
    """Who is calling. ``method`` is how the user was established; None means anonymous."""

    user: str | None = None
    groups: tuple[str, ...] = ()
    address: str | None = None
    application: str | None = None  # the client tool, e.g. from a header or User-Agent
    method: str | None = None  # "api_key" | "header" | "jwt" | None (anonymous)

    @property
    def anonymous(self) -> bool:
        return self.method is None


class Identify:
    name = "identify"

    async def __call__(self, exchange: Exchange) -> None:
        exchange.subject = Subject(address=exchange.client_address)
