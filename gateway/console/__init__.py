"""The web console at ``/console/``: overview, audit review and policy changes in a browser.

Server-rendered pages over the admin API. The console signs people in (a
break-glass password, an admin token, or the company's OIDC provider), keeps
their session on the server, and performs every read and change by calling the
admin API in process as that person (``admin_client.py``): the API checks the
role and writes the admin record, so the console can do nothing the API would
refuse and leaves the same trail. See docs/console.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway.lazy import lazy_exports

if TYPE_CHECKING:
    from gateway.console.app import build_console

__all__ = ["build_console"]

__getattr__ = lazy_exports(__name__, {"build_console": "gateway.console.app"})
