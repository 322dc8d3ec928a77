"""RFC 5424 messages, octet-counted for TCP and TLS (RFC 6587, 5425).

One framing for every syslog writer: the SIEM sink (records) and the syslog
witness (checkpoints) send the same shape, so one receiver configuration takes
both.
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["syslog_message"]


def _iso(seconds: float) -> str:
    return (
        datetime.fromtimestamp(seconds, UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


def _header_field(value: str) -> str:
    # RFC 5424 header fields are printable US-ASCII without spaces, at most 48 chars.
    cleaned = "".join(ch if 33 <= ord(ch) <= 126 else "_" for ch in value)
    return cleaned[:48] or "-"


def syslog_message(
    *, priority: int, at: float, hostname: str, app_name: str, msgid: str, body: str
) -> bytes:
    """One framed message; the UTF-8 body is announced with a byte order mark, as 5424 asks."""
    header = (
        f"<{priority}>1 {_iso(at)} {_header_field(hostname)} "
        f"{_header_field(app_name)} - {_header_field(msgid)} -"
    )
    message = header.encode() + b" \xef\xbb\xbf" + body.encode()
    return str(len(message)).encode() + b" " + message
