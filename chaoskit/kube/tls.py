"""A CA and a serving certificate, client certificates and tokens, and the kubeconfigs that trust them.

Everything here is made in memory; callers decide what to keep. ``chaoskit sim serve`` keeps its CA
and credentials in its state directory, so the kubeconfigs it handed out outlive a restart."""

from __future__ import annotations

import base64
import datetime
import ipaddress
import secrets
from dataclasses import dataclass
from pathlib import Path

import yaml
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from chaoskit.kube import files


@dataclass(frozen=True)
class Certs:
    ca_pem: bytes
    cert_pem: bytes
    key_pem: bytes
    ca_key_pem: bytes = b""


VALIDITY_DAYS = 365


def make_certs(host: str = "127.0.0.1", days: int = VALIDITY_DAYS) -> Certs:
    """An ECDSA CA plus a server certificate for ``host``, localhost and 127.0.0.1."""
    ca_pem, ca_key_pem = make_ca(days)
    cert_pem, key_pem = serving_cert(ca_pem, ca_key_pem, host, days)
    return Certs(ca_pem, cert_pem, key_pem, ca_key_pem)


def make_ca(days: int = VALIDITY_DAYS) -> tuple[bytes, bytes]:
    """A self-signed ECDSA CA: (certificate, key) PEM."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "chaoskit-simulator-ca")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(days=days))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    return ca.public_bytes(serialization.Encoding.PEM), _key_pem(ca_key)


def serving_cert(ca_pem: bytes, ca_key_pem: bytes, host: str = "127.0.0.1",
                 days: int = VALIDITY_DAYS) -> tuple[bytes, bytes]:
    """A server certificate for ``host``, localhost and 127.0.0.1 signed by the CA: (certificate, key) PEM.

    Separate from the CA so that a restarted server can renew it (a new ``--host``, near expiry)
    while every kubeconfig handed out, which trusts only the CA, keeps working."""
    now = datetime.datetime.now(datetime.UTC)
    ca = x509.load_pem_x509_certificate(ca_pem)
    ca_key = _ec_key(ca_key_pem)
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [x509.DNSName("localhost"), x509.DNSName("kubernetes"),
                                     x509.DNSName("kubernetes.default.svc"),
                                     x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    try:
        ip = ipaddress.ip_address(host)
        if str(ip) != "127.0.0.1":
            names.append(x509.IPAddress(ip))
    except ValueError:
        names.append(x509.DNSName(host))
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")]))
            .issuer_name(ca.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM), _key_pem(key)


def not_after(cert_pem: bytes) -> float:
    """When a certificate expires, in seconds since the epoch."""
    return x509.load_pem_x509_certificate(cert_pem).not_valid_after_utc.timestamp()


def covers(cert_pem: bytes, host: str) -> bool:
    """Whether a serving certificate names ``host`` (an IP address or a DNS name)."""
    cert = x509.load_pem_x509_certificate(cert_pem)
    try:
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    try:
        return ipaddress.ip_address(host) in names.get_values_for_type(x509.IPAddress)
    except ValueError:
        return host in names.get_values_for_type(x509.DNSName)


def check_pair(cert_pem: bytes, key_pem: bytes, ca_pem: bytes | None = None) -> None:
    """Raise ValueError unless the key is the certificate's and (given ``ca_pem``) the CA signed it.

    For credentials read back from disk: a restarted server must refuse a key that does not match
    rather than fail later, mid-handshake, with an OpenSSL message nobody can act on."""
    cert = x509.load_pem_x509_certificate(cert_pem)
    key = _ec_key(key_pem)
    if cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) \
            != key.public_key().public_bytes(serialization.Encoding.DER,
                                             serialization.PublicFormat.SubjectPublicKeyInfo):
        raise ValueError("the key does not belong to the certificate")
    if ca_pem is not None:
        ca = x509.load_pem_x509_certificate(ca_pem)
        try:
            cert.verify_directly_issued_by(ca)
        except (ValueError, TypeError, InvalidSignature) as exc:
            raise ValueError("the certificate was not issued by the CA") from exc


def _ec_key(pem: bytes) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(pem, None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"expected an EC private key, found {type(key).__name__}")
    return key


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def client_cert(certs: Certs, user: str, groups: tuple[str, ...] = ()) -> tuple[bytes, bytes]:
    """A client certificate signed by the CA, the way kind and kubeadm make admin credentials:
    the user is the subject's CN, its groups the O entries. Returns (certificate, key) PEM."""
    now = datetime.datetime.now(datetime.UTC)
    ca = x509.load_pem_x509_certificate(certs.ca_pem)
    ca_key = _ec_key(certs.ca_key_pem)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, g) for g in groups]
    subject.append(x509.NameAttribute(NameOID.COMMON_NAME, user))
    cert = (x509.CertificateBuilder().subject_name(x509.Name(subject)).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=VALIDITY_DAYS))
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM), _key_pem(key)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def kubeconfig(server: str, ca_pem: bytes, token: str | tuple[bytes, bytes], name: str = "chaoskit",
               user: str = "chaoskit") -> dict:
    """A one-context kubeconfig; ``token`` is a bearer token or a (certificate, key) PEM pair."""
    if isinstance(token, tuple):
        credentials = {"client-certificate-data": base64.b64encode(token[0]).decode(),
                       "client-key-data": base64.b64encode(token[1]).decode()}
    else:
        credentials = {"token": token}
    return {
        "apiVersion": "v1", "kind": "Config", "preferences": {}, "current-context": name,
        "clusters": [{"name": name, "cluster": {"server": server,
                                                "certificate-authority-data": base64.b64encode(ca_pem).decode()}}],
        "users": [{"name": user, "user": credentials}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": user, "namespace": "default"}}],
    }


def write_private(path: Path, data: str | bytes) -> None:
    """Write a file readable by its owner only (0600), created that way from the start, atomically."""
    files.write_private(path, data)


def write_kubeconfig(path: Path, config: dict) -> None:
    write_private(path, yaml.safe_dump(config, sort_keys=False))
