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
    user: str | None = None
    groups: tuple[str, ...] = ()
    address: str | None = None


class Identify:
    name = "identify"

    async def __call__(self, exchange: Exchange) -> None:
        exchange.subject = Subject(address=exchange.client_address)
