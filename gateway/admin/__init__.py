"""The token-protected admin API under ``/admin/v1``: policies and audit review.

It is a FastAPI application mounted beside the proxy, never on the request path
of proxied traffic. Each area contributes one ``APIRouter``; ``auth`` holds the
token check every route depends on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway.lazy import lazy_exports

if TYPE_CHECKING:
    from gateway.admin.app import build_admin_app
    from gateway.admin.auth import AdminAuth, AdminPrincipal, current_principal, load_admin_tokens

__all__ = [
    "AdminAuth",
    "AdminPrincipal",
    "build_admin_app",
    "current_principal",
    "load_admin_tokens",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "build_admin_app": "gateway.admin.app",
        "AdminAuth": "gateway.admin.auth",
        "AdminPrincipal": "gateway.admin.auth",
        "current_principal": "gateway.admin.auth",
        "load_admin_tokens": "gateway.admin.auth",
    },
)
