"""Failed sign-ins slow down whoever makes them: after ``limit`` failures from one
address within ``window`` seconds, that address may not try again until the oldest
of them is ``window`` old. Counted per process (a bound on guessing, not an
account lock-out: a lock-out by name would let anyone lock the break-glass
administrator out)."""

from __future__ import annotations

from gateway.admin.rate import SlidingWindow

__all__ = ["SignInThrottle"]


class SignInThrottle(SlidingWindow):
    def failed(self, address: str | None) -> None:
        self.add(address)
