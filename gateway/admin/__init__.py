"""The token-protected admin API under ``/admin/v1``: policies and audit review.

It is a FastAPI application mounted beside the proxy, never on the request path
of proxied traffic. Each area contributes one ``APIRouter``; ``auth`` holds the
token check every route depends on.
"""

from gateway.admin.app import build_admin_app
from gateway.admin.auth import AdminAuth, AdminPrincipal, current_principal, load_admin_tokens

__all__ = [
    "AdminAuth",
    "AdminPrincipal",
    "build_admin_app",
    "current_principal",
    "load_admin_tokens",
]
