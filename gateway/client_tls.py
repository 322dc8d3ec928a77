"""Who a verified client certificate (mTLS, ``listen.tls_client_ca``) says the caller is.

The HTTP protocol reads the certificate once per connection and puts what it
names into the request scope; the pipeline copies it onto the exchange, and the
identify stage takes it as the caller's identity when no key or token was
presented. Only certificates the TLS layer verified against the configured CA
ever appear here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["CLIENT_CERTIFICATE", "ClientCertificate", "client_certificate", "peer_certificate"]

#: the scope extension carrying the connection's ``ClientCertificate``
CLIENT_CERTIFICATE = "haetae.client_certificate"


@dataclass(frozen=True, slots=True)
class ClientCertificate:
    user: str  # the subject's common name
    groups: tuple[str, ...]  # its organisational units


def peer_certificate(transport: Any) -> ClientCertificate | None:
    """The verified client certificate of a connection, if it presented one with a CN."""
    certificate = transport.get_extra_info("peercert") if transport is not None else None
    if not certificate:
        return None
    names: list[tuple[str, str]] = [
        (key, value) for part in certificate.get("subject", ()) for key, value in part
    ]
    common = [value for key, value in names if key == "commonName"]
    if not common:
        return None
    units = tuple(value for key, value in names if key == "organizationalUnitName")
    return ClientCertificate(common[0], units)


def client_certificate(scope: Any) -> ClientCertificate | None:
    extensions = scope.get("extensions")
    if not extensions:
        return None
    found: ClientCertificate | None = extensions.get(CLIENT_CERTIFICATE)
    return found
