"""Per-host certificates signed by the company CA, for intercepted TLS.

One leaf key per process signs nothing and is only proved to the client, so it
is reused for every host (minting an EC key costs more than the certificate);
each host gets its own short-lived certificate, backdated against clock skew,
and the server ``SSLContext`` holding it is kept in a bounded LRU.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import logging
import os
import ssl
import tempfile
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from gateway.errors import ConfigError

__all__ = ["CompanyCA", "LeafContexts", "key_usage", "private_pem"]

log = logging.getLogger("haetae.proxy")

#: how far back a certificate's validity starts, for clients whose clocks run behind
CLOCK_SKEW = datetime.timedelta(hours=1)


class CompanyCA:
    """The CA certificate and key that intercepted hosts' certificates are signed with."""

    def __init__(self, certificate: x509.Certificate, key: Any) -> None:
        if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise ConfigError("proxy.ca_key must be an RSA or EC private key")
        self.certificate = certificate
        self.key = key

    @classmethod
    def from_files(cls, cert_path: Path, key_path: Path) -> CompanyCA:
        try:
            certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
            key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        except OSError as exc:
            raise ConfigError(f"cannot read the proxy CA: {exc.strerror}") from None
        except ValueError:
            # Not the parser's message: it may quote the key file.
            raise ConfigError(
                "proxy.ca_cert / proxy.ca_key: not a PEM certificate and an unencrypted "
                "PEM private key"
            ) from None
        if isinstance(key, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey):
            raise ConfigError("proxy.ca_key: Ed25519/Ed448 CAs are not accepted by most clients")
        ca = cls(certificate, key)
        if certificate.public_key().public_numbers() != key.public_key().public_numbers():  # type: ignore[union-attr]
            raise ConfigError("proxy.ca_key does not belong to proxy.ca_cert")
        return ca


class LeafContexts:
    """Server-side ``SSLContext`` per host, each with a certificate minted for that host."""

    def __init__(
        self,
        ca: CompanyCA,
        validity: datetime.timedelta = datetime.timedelta(hours=24),
        capacity: int = 1024,
        clock: Callable[[], datetime.datetime] = lambda: datetime.datetime.now(datetime.UTC),
    ) -> None:
        self._ca = ca
        self._clock = clock
        self._validity = validity
        self._capacity = capacity
        self._key = ec.generate_private_key(ec.SECP256R1())
        self._key_pem = private_pem(self._key)
        self._ca_pem = ca.certificate.public_bytes(serialization.Encoding.PEM)
        self._cache: OrderedDict[str, tuple[ssl.SSLContext, datetime.datetime]] = OrderedDict()
        self.minted = 0  # certificates made so far (the benches and tests read it)

    def context_for(self, host: str) -> ssl.SSLContext:
        """The context for ``host``; minted on first use, or when the last quarter of its
        certificate's validity has begun (a connection may outlive the check by hours)."""
        host = host.lower()
        return self.cached(host) or self._store(host, self._mint(host, self._clock()))

    async def context(self, host: str) -> ssl.SSLContext:
        """``context_for`` for the event loop: a certificate is minted (~4 ms) on a thread."""
        host = host.lower()
        cached = self.cached(host)
        if cached is not None:
            return cached
        minted = await asyncio.to_thread(self._mint, host, self._clock())
        return self._store(host, minted)

    def cached(self, host: str) -> ssl.SSLContext | None:
        """The kept context for ``host`` (lower-case) while its certificate is fresh."""
        found = self._cache.get(host)
        if found is None or found[1] - self._clock() <= self._validity / 4:
            return None
        self._cache.move_to_end(host)
        return found[0]

    def _store(self, host: str, minted: tuple[ssl.SSLContext, datetime.datetime]) -> ssl.SSLContext:
        self._cache[host] = minted
        self._cache.move_to_end(host)
        while len(self._cache) > self._capacity:
            self._cache.popitem(last=False)
        return minted[0]

    def _mint(self, host: str, now: datetime.datetime) -> tuple[ssl.SSLContext, datetime.datetime]:
        expires = now + self._validity
        certificate = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host[:64])]))
            .issuer_name(self._ca.certificate.subject)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - CLOCK_SKEW)
            .not_valid_after(expires)
            .add_extension(x509.SubjectAlternativeName([_san(host)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(key_usage(certificate_authority=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self._ca.key.public_key()),
                critical=False,
            )
            .sign(self._ca.key, hashes.SHA256())
        )
        chain = certificate.public_bytes(serialization.Encoding.PEM) + self._ca_pem
        # Not create_default_context: it loads the system's CAs (~5 ms) to verify clients,
        # which a server without client certificates never does.
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.set_alpn_protocols(["h2", "http/1.1"])  # proxy/http2.py serves h2
        _load_chain(context, chain, self._key_pem)
        context.sni_callback = _expect_name(host)
        self.minted += 1
        return context, expires


def key_usage(*, certificate_authority: bool) -> x509.KeyUsage:
    """Signing only: a leaf signs handshakes, a CA signs certificates and CRLs too."""
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=certificate_authority,
        crl_sign=certificate_authority,
        encipher_only=False,
        decipher_only=False,
    )


def private_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    """An unencrypted PKCS#8 PEM: what ``ssl`` loads (kept in memory or a 0600 file)."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _expect_name(host: str) -> Callable[[ssl.SSLObject, str | None, ssl.SSLContext], int | None]:
    """Refuses a handshake whose SNI names another host than the CONNECT did."""

    def check(_tls: ssl.SSLObject, name: str | None, _context: ssl.SSLContext) -> int | None:
        if name is None or name.lower() == host:
            return None
        return ssl.ALERT_DESCRIPTION_UNRECOGNIZED_NAME

    return check


def _san(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return x509.DNSName(host)


def _load_chain(context: ssl.SSLContext, chain: bytes, key: bytes) -> None:
    """``load_cert_chain`` reads only files: in-memory ones where Linux has them
    (``memfd``: nothing touches a disk), else a private directory removed at once."""
    if hasattr(os, "memfd_create"):
        descriptors = [os.memfd_create(name, os.MFD_CLOEXEC) for name in ("leaf", "leaf-key")]
        try:
            for descriptor, data in zip(descriptors, (chain, key), strict=True):
                os.write(descriptor, data)
            cert_path, key_path = (f"/proc/self/fd/{d}" for d in descriptors)
            context.load_cert_chain(cert_path, key_path)
        finally:
            for descriptor in descriptors:
                os.close(descriptor)
        return
    with tempfile.TemporaryDirectory(prefix="haetae-leaf-") as folder:  # mode 0700
        cert_path, key_path = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
        for path, data in ((cert_path, chain), (key_path, key)):
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as file:
                file.write(data)
        context.load_cert_chain(cert_path, key_path)
