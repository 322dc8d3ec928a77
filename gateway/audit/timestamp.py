"""RFC 3161 time-stamp requests and tokens: what a timestamp authority says it saw.

A token is a CMS ``SignedData`` whose content (``TSTInfo``) names the hash of
the data stamped (the *message imprint*) and the time. It proves the data
existed then, to anyone who trusts the authority's certificate, and nobody but
the authority can make one. asn1crypto parses and builds the ASN.1;
cryptography checks the signature and the certificates. A token is trusted only
when all of these hold:

- its content is a ``TSTInfo`` whose imprint is SHA-256 of the expected bytes;
- its signed attributes name that content and carry its digest;
- the signature over those attributes verifies with the signer certificate's key;
- the signer certificate is for time stamping (extended key usage) and was
  valid at the token's time, and it is, or chains up to, a configured
  certificate (each link's signature checked).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from asn1crypto import algos, cms, tsp
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from gateway.errors import ConfigError

__all__ = [
    "TimestampError",
    "TimestampToken",
    "load_trusted_certificates",
    "parse_response",
    "timestamp_request",
    "verify_token",
]

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}
_MAX_CHAIN = 8


class TimestampError(Exception):
    """A response or token that is not what was asked for, or cannot be trusted."""


@dataclass(frozen=True, slots=True)
class TimestampToken:
    der: bytes  # the ContentInfo, as the authority sent it
    time: datetime  # genTime, UTC


def timestamp_request(data: bytes) -> tuple[bytes, int]:
    """A DER ``TimeStampReq`` for SHA-256 of ``data``, asking for the certificate; and its nonce."""
    nonce = secrets.randbits(63)
    request = tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": {
                "hash_algorithm": {"algorithm": "sha256"},
                "hashed_message": hashlib.sha256(data).digest(),
            },
            "nonce": nonce,
            "cert_req": True,
        }
    )
    return request.dump(), nonce


def parse_response(body: bytes, nonce: int) -> bytes:
    """The token inside a ``TimeStampResp``; raise unless it was granted for ``nonce``."""
    try:
        response = tsp.TimeStampResp.load(body)
        status = response["status"]["status"].native
        text = response["status"]["status_string"].native
    except (ValueError, TypeError, KeyError) as exc:
        raise TimestampError(f"not a time-stamp response ({type(exc).__name__})") from None
    if status not in ("granted", "granted_with_mods"):
        raise TimestampError(f"the authority refused: {status} {' '.join(text or [])}".strip())
    try:
        token = response["time_stamp_token"]
        _ = token.native
    except (ValueError, TypeError, KeyError):
        raise TimestampError("the response holds no token") from None
    info = _tst_info(token)
    if info["nonce"].native != nonce:
        raise TimestampError("the response answers another request (nonce differs)")
    der: bytes = token.dump()
    return der


def load_trusted_certificates(path: Path) -> list[x509.Certificate]:
    """The authority's certificate, or the CA behind it, from a PEM file (several allowed)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read TSA certificate {path}: {exc.strerror}") from None
    try:
        certificates = x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        raise ConfigError(f"TSA certificate {path} is not PEM: {exc}") from None
    return certificates


def verify_token(der: bytes, data: bytes, trusted: list[x509.Certificate]) -> TimestampToken:
    """The token's time if it is a trusted stamp of ``data``; else TimestampError saying why."""
    try:
        token = cms.ContentInfo.load(der)
        info = _tst_info(token)
        signed = token["content"]
        signer = signed["signer_infos"][0]
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise TimestampError(f"the token cannot be read ({type(exc).__name__})") from None
    imprint = info["message_imprint"]
    algorithm = imprint["hash_algorithm"]["algorithm"].native
    expected = hashlib.new(algorithm, data).digest() if algorithm in _HASHES else None
    if expected is None or imprint["hashed_message"].native != expected:
        raise TimestampError("the token stamps other data (message imprint differs)")
    at: datetime = info["gen_time"].native
    certificate = _signer_certificate(signed, signer, trusted)
    _check_signature(signer, info, certificate)
    _check_chain(certificate, signed, trusted, at)
    return TimestampToken(der, at)


def _tst_info(token: cms.ContentInfo) -> tsp.TSTInfo:
    if token["content_type"].native != "signed_data":
        raise TimestampError("the token is not CMS signed data")
    content = token["content"]["encap_content_info"]
    if content["content_type"].native != "tst_info":
        raise TimestampError("the token does not hold a TSTInfo")
    parsed = content["content"].parsed
    if not isinstance(parsed, tsp.TSTInfo):
        raise TimestampError("the token does not hold a TSTInfo")
    return parsed


def _signer_certificate(
    signed: cms.SignedData, signer: cms.SignerInfo, trusted: list[x509.Certificate]
) -> x509.Certificate:
    sid = signer["sid"]
    candidates = _embedded(signed) + trusted
    for certificate in candidates:
        if sid.name == "issuer_and_serial_number":
            wanted = sid.chosen
            matches = (
                certificate.serial_number == wanted["serial_number"].native
                and certificate.issuer.public_bytes() == wanted["issuer"].dump()
            )
        else:
            try:
                ski = certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
            except x509.ExtensionNotFound:
                continue
            matches = ski.value.digest == sid.chosen.native
        if matches:
            return certificate
    raise TimestampError("the token's signer certificate is neither in it nor configured")


def _embedded(signed: cms.SignedData) -> list[x509.Certificate]:
    found = []
    for choice in signed["certificates"] or ():
        if choice.name == "certificate":
            found.append(x509.load_der_x509_certificate(choice.chosen.dump()))
    return found


def _check_signature(
    signer: cms.SignerInfo, info: tsp.TSTInfo, certificate: x509.Certificate
) -> None:
    digest_name = signer["digest_algorithm"]["algorithm"].native
    if digest_name not in _HASHES:
        raise TimestampError(f"the token uses a digest Haetae does not accept ({digest_name})")
    attributes = signer["signed_attrs"]
    if not attributes:
        raise TimestampError("the token has no signed attributes")
    found = {a["type"].native: a["values"][0].native for a in attributes}
    if found.get("content_type") != "tst_info":
        raise TimestampError("the token's signed attributes name other content")
    content_digest = hashlib.new(digest_name, info.dump()).digest()
    if found.get("message_digest") != content_digest:
        raise TimestampError("the token's signed digest does not match its content")
    # The signature covers the attributes as a SET OF (tag 0x31), not as the
    # [0]-tagged field they are stored in.
    signed_bytes = b"\x31" + attributes.dump()[1:]
    signature = signer["signature"].native
    algorithm = signer["signature_algorithm"]
    try:
        _verify_with(certificate.public_key(), signature, signed_bytes, digest_name, algorithm)
    except InvalidSignature:
        raise TimestampError("the token's signature is not valid") from None


def _verify_with(
    key: object,
    signature: bytes,
    data: bytes,
    digest_name: str,
    algorithm: algos.SignedDigestAlgorithm,
) -> None:
    chosen = _HASHES[digest_name]()
    if isinstance(key, rsa.RSAPublicKey):
        if algorithm.signature_algo == "rsassa_pss":
            params = algorithm["parameters"]
            pss_hash = _HASHES.get(params["hash_algorithm"]["algorithm"].native, hashes.SHA256)()
            pad: padding.AsymmetricPadding = padding.PSS(
                padding.MGF1(pss_hash), params["salt_length"].native
            )
            key.verify(signature, data, pad, pss_hash)
        else:
            key.verify(signature, data, padding.PKCS1v15(), chosen)
    elif isinstance(key, ec.EllipticCurvePublicKey):
        key.verify(signature, data, ec.ECDSA(chosen))
    elif isinstance(key, ed25519.Ed25519PublicKey):
        key.verify(signature, data)
    else:
        raise TimestampError("the token is signed with a key type Haetae does not accept")


def _check_chain(
    certificate: x509.Certificate,
    signed: cms.SignedData,
    trusted: list[x509.Certificate],
    at: datetime,
) -> None:
    try:
        usage = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    if usage is None or ExtendedKeyUsageOID.TIME_STAMPING not in usage:
        raise TimestampError("the signer certificate is not for time stamping")
    if not certificate.not_valid_before_utc <= at <= certificate.not_valid_after_utc:
        raise TimestampError("the signer certificate was not valid at the token's time")
    pool = _embedded(signed) + trusted
    anchors = {c.fingerprint(hashes.SHA256()) for c in trusted}
    current = certificate
    for _ in range(_MAX_CHAIN):
        if current.fingerprint(hashes.SHA256()) in anchors:
            return
        issuer = _issuer(current, pool)
        if issuer is None:
            break
        current = issuer
    raise TimestampError("the token's certificate is not issued by the configured TSA certificate")


def _issuer(certificate: x509.Certificate, pool: list[x509.Certificate]) -> x509.Certificate | None:
    for candidate in pool:
        if candidate.subject != certificate.issuer or candidate == certificate:
            continue
        try:
            certificate.verify_directly_issued_by(candidate)
        except (ValueError, TypeError, InvalidSignature):
            continue
        return candidate
    return None
