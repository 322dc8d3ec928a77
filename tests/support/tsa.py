"""An RFC 3161 timestamp authority for tests: its own CA, its own certificate, on loopback.

Tokens are built with asn1crypto and signed with cryptography, the way a real
authority's are (CMS SignedData over a TSTInfo, signed attributes naming the
content and its digest), so the gateway's verifier meets real tokens and real
ways for them to be wrong.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["Authority", "serve_tsa"]


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


@dataclass
class Authority:
    """A CA and a time-stamping certificate it issued; ``stamp`` makes tokens."""

    ca_key: ec.EllipticCurvePrivateKey
    ca: x509.Certificate
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
    certificate: x509.Certificate
    serial: int = 0
    requests: int = 0
    #: "ok", or how to answer wrongly: "refuse", "bad_signature", "other_data"
    mode: str = "ok"
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def create(
        cls,
        name: str = "Test TSA",
        *,
        rsa_key: bool = False,
        time_stamping: bool = True,
        expired: bool = False,
    ) -> Authority:
        """``time_stamping=False``: a certificate without that usage; ``expired``: one
        that ended yesterday (its tokens are still signed with today's time)."""
        now = datetime.now(UTC)
        usage = (
            ExtendedKeyUsageOID.TIME_STAMPING if time_stamping else ExtendedKeyUsageOID.SERVER_AUTH
        )
        ends = now - timedelta(days=1) if expired else now + timedelta(days=30)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca = (
            x509.CertificateBuilder()
            .subject_name(_name(f"{name} Root"))
            .issuer_name(_name(f"{name} Root"))
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(ca_key, hashes.SHA256())
        )
        key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey = (
            rsa.generate_private_key(65537, 2048)
            if rsa_key
            else ec.generate_private_key(ec.SECP256R1())
        )
        certificate = (
            x509.CertificateBuilder()
            .subject_name(_name(name))
            .issuer_name(ca.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=2))
            .not_valid_after(ends)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=True)
            .sign(ca_key, hashes.SHA256())
        )
        return cls(ca_key, ca, key, certificate)

    def write_ca(self, path: Path) -> Path:
        path.write_bytes(self.ca.public_bytes(serialization.Encoding.PEM))
        return path

    def stamp(self, digest: bytes, nonce: int | None = None) -> bytes:
        """A token (ContentInfo DER) stamping the SHA-256 ``digest``, as ``mode`` says."""
        with self.lock:
            self.serial += 1
            serial = self.serial
        if self.mode == "other_data":
            digest = hashlib.sha256(b"something else").digest()
        info = tsp.TSTInfo(
            {
                "version": "v1",
                "policy": "1.3.6.1.4.1.99999.1",
                "message_imprint": {
                    "hash_algorithm": {"algorithm": "sha256"},
                    "hashed_message": digest,
                },
                "serial_number": serial,
                "gen_time": datetime.now(UTC).replace(microsecond=0),
                "nonce": nonce,
            }
        )
        attributes = cms.CMSAttributes(
            [
                {"type": "content_type", "values": ["tst_info"]},
                {"type": "message_digest", "values": [hashlib.sha256(info.dump()).digest()]},
            ]
        )
        to_sign = attributes.dump()
        if isinstance(self.key, rsa.RSAPrivateKey):
            from cryptography.hazmat.primitives.asymmetric import padding

            signature = self.key.sign(to_sign, padding.PKCS1v15(), hashes.SHA256())
            algorithm = "sha256_rsa"
        else:
            signature = self.key.sign(to_sign, ec.ECDSA(hashes.SHA256()))
            algorithm = "sha256_ecdsa"
        if self.mode == "bad_signature":
            signature = signature[:-1] + bytes([signature[-1] ^ 1])
        cert = asn1_x509.Certificate.load(self.certificate.public_bytes(serialization.Encoding.DER))
        signed = cms.SignedData(
            {
                "version": "v3",
                "digest_algorithms": [algos.DigestAlgorithm({"algorithm": "sha256"})],
                "encap_content_info": {
                    "content_type": "tst_info",
                    "content": core.ParsableOctetString(info.dump()),
                },
                "certificates": [cert],
                "signer_infos": [
                    {
                        "version": "v1",
                        "sid": cms.SignerIdentifier(
                            "issuer_and_serial_number",
                            {"issuer": cert.issuer, "serial_number": cert.serial_number},
                        ),
                        "digest_algorithm": {"algorithm": "sha256"},
                        "signed_attrs": attributes,
                        "signature_algorithm": {"algorithm": algorithm},
                        "signature": signature,
                    }
                ],
            }
        )
        token: bytes = cms.ContentInfo({"content_type": "signed_data", "content": signed}).dump()
        return token

    def respond(self, body: bytes) -> bytes:
        with self.lock:
            self.requests += 1
        request = tsp.TimeStampReq.load(body)
        if self.mode == "refuse":
            # a refusal has no token, which asn1crypto's TimeStampResp cannot leave out
            status = tsp.PKIStatusInfo({"status": "rejection", "status_string": ["busy"]}).dump()
            return b"\x30" + bytes([len(status)]) + bytes(status)
        token = self.stamp(
            request["message_imprint"]["hashed_message"].native, request["nonce"].native
        )
        response: bytes = tsp.TimeStampResp(
            {"status": {"status": "granted"}, "time_stamp_token": cms.ContentInfo.load(token)}
        ).dump()
        return response


@contextmanager
def serve_tsa(authority: Authority) -> Iterator[str]:
    """Serve ``authority`` over HTTP on 127.0.0.1; yields its URL; stops on exit."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = authority.respond(self.rfile.read(min(length, 65536)))
            self.send_response(200)
            self.send_header("content-type", "application/timestamp-reply")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/tsr"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
