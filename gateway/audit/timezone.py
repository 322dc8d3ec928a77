"""Times as reviewers write and read them: a zone, relative times, spreadsheet dates.

Records keep unix seconds (UTC); only review turns them into local time. A
zone is an IANA name (``Asia/Seoul``), from ``--tz``/``tz=`` or
``audit.timezone``. An input without an offset (``2026-01-31``) is read in that
zone, so "the 31st" means the reviewer's day; ``7d``, ``12h``, ``30m``, ``2w``
count back from now. Day buckets start at local midnight, which in a zone with
daylight saving moves against UTC: ``offset_spans`` cuts a range where the
offset changes, so each piece can be counted with one fixed shift.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "excel_time",
    "fixed_offset",
    "local_bucket_start",
    "local_iso",
    "offset_at",
    "offset_spans",
    "parse_time",
    "resolve_zone",
]

_RELATIVE = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def resolve_zone(name: str | None) -> tzinfo:
    """The zone an IANA name names; ``None``/``UTC`` is UTC. ValueError says what to send."""
    if name is None or name.upper() in ("UTC", "Z"):
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r}: use an IANA name such as Asia/Seoul or UTC"
        ) from None


def parse_time(text: str, zone: tzinfo = UTC, *, now: float | None = None) -> float:
    """Unix seconds from unix seconds, ISO 8601 (in ``zone`` unless it names an offset),
    or a relative time (``7d``: seven days ago; units s, m, h, d, w).

    Raises ValueError with a message meant for the caller.
    """
    text = text.strip()
    relative = _RELATIVE.fullmatch(text)
    if relative:
        amount, unit = float(relative.group(1)), relative.group(2).lower()
        return (time.time() if now is None else now) - amount * _UNIT_SECONDS[unit]
    try:
        return float(text)
    except ValueError:
        pass
    try:
        stamp = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"{text!r} is not a time: use ISO 8601 (2026-01-31 or 2026-01-31T09:00:00+09:00), "
            "a relative time (7d, 12h, 30m) or unix seconds"
        ) from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=zone)
    return stamp.timestamp()


def _local(seconds: float, zone: tzinfo) -> datetime | None:
    try:
        return datetime.fromtimestamp(seconds, tz=zone)
    except (ValueError, OverflowError, OSError):
        return None


def local_iso(seconds: float, zone: tzinfo = UTC, timespec: str = "milliseconds") -> str:
    """ISO 8601 with the zone's offset (``Z`` for UTC), to the millisecond by default."""
    stamp = _local(seconds, zone)
    if stamp is None:
        return str(seconds)
    return stamp.isoformat(timespec=timespec).replace("+00:00", "Z")


def excel_time(seconds: float, zone: tzinfo = UTC) -> tuple[str, str]:
    """``("2026-01-31 09:00:00", "UTC+09:00")``: a date-time every spreadsheet reads as
    one, and the offset it is in (spreadsheets have no time zones; a cell starting
    with ``+`` would be read as a formula)."""
    stamp = _local(seconds, zone)
    if stamp is None:
        return str(seconds), ""
    offset = stamp.strftime("%z")
    return stamp.strftime("%Y-%m-%d %H:%M:%S"), f"UTC{offset[:3]}:{offset[3:]}"


def offset_at(seconds: float, zone: tzinfo) -> int:
    """The zone's offset from UTC at that instant, in seconds."""
    stamp = _local(seconds, zone)
    delta = stamp.utcoffset() if stamp is not None else None
    return int(delta.total_seconds()) if delta is not None else 0


def offset_spans(start: float, end: float, zone: tzinfo) -> list[tuple[float, float, int]]:
    """``[start, end)`` cut where the zone's offset changes: ``(from, to, offset)`` pieces.

    Steps a day at a time and bisects to the second at each change, so a year is
    a few hundred lookups.
    """
    spans: list[tuple[float, float, int]] = []
    day = timedelta(days=1).total_seconds()
    piece_start, offset = start, offset_at(start, zone)
    probe = start
    while probe < end:
        step = min(probe + day, end)
        # ``end`` is exclusive: look just before it
        if offset_at(step if step < end else end - 0.001, zone) != offset:
            low, high = probe, step  # offset(low) == offset, offset(high) differs
            while high - low > 1:
                middle = (low + high) // 2 if high - low > 2 else low + 1
                if offset_at(middle, zone) == offset:
                    low = middle
                else:
                    high = middle
            spans.append((piece_start, high, offset))
            piece_start, offset = high, offset_at(high, zone)
            probe = high
            continue
        probe = step
    spans.append((piece_start, end, offset))
    return spans


def fixed_offset(zone: tzinfo) -> bool:
    """No daylight saving this year (UTC, Asia/Seoul): one shift fits every bucket.

    Checked at both solstices' months; a zone's history before that (Korea kept
    summer time in 1987-88) is not looked at.
    """
    if zone is UTC:
        return True
    year = datetime.now(UTC).year
    winter = datetime(year, 1, 15, tzinfo=UTC).timestamp()
    summer = datetime(year, 7, 15, tzinfo=UTC).timestamp()
    return offset_at(winter, zone) == offset_at(summer, zone)


def local_bucket_start(bucket: float, offset: int, zone: tzinfo) -> float:
    """The instant of a bucket's local start, whichever offset it was counted with."""
    wall = datetime.fromtimestamp(bucket + offset, tz=UTC).replace(tzinfo=None)
    return wall.replace(tzinfo=zone).timestamp()
