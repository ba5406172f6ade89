"""feedlens's CA for the household: the one mitmproxy signs its site certificates with (in the
data directory's mitmproxy/ folder, made on first use), in each platform's format, and the
certificate of the LAN dashboard, signed by the same CA so an enrolled device trusts it too.
"""

from __future__ import annotations

import datetime
import ipaddress
import plistlib
import uuid
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .. import files, private

CA_DIR = "mitmproxy"
CA_BASENAME = "mitmproxy"  # mitmproxy's own names: mitmproxy-ca.pem (key), -ca-cert.pem
KEY_SIZE = 2048
LAN_DIR = "household"
LAN_DAYS = 397  # what browsers accept for a server certificate at most
# The profile's identifier, stable per CA: installing it again replaces the one before.
PROFILE_ID = "org.feedlens.household"


def ca_dir(data_dir: Path) -> Path:
    return Path(data_dir) / CA_DIR


def cert_store(data_dir: Path):
    """mitmproxy's CertStore over the data dir: loads the CA, or makes it as mitmproxy would."""
    from mitmproxy.certs import CertStore  # the proxy's own CA code, not a second CA
    private.ensure_dir(ca_dir(data_dir))
    return CertStore.from_store(ca_dir(data_dir), CA_BASENAME, KEY_SIZE)


def ca_certificate(data_dir: Path) -> x509.Certificate:
    path = ca_dir(data_dir) / f"{CA_BASENAME}-ca-cert.pem"
    if not path.is_file():
        cert_store(data_dir)
    return x509.load_pem_x509_certificate(path.read_bytes())


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 fingerprint as a device's settings show it (AA:BB:…), to compare by eye."""
    return cert.fingerprint(hashes.SHA256()).hex(":").upper()


def mobileconfig(cert: x509.Certificate, device: str) -> bytes:
    """An iOS/iPadOS configuration profile carrying the CA (a com.apple.security.root payload).

    iOS installs it from Settings > Profile Downloaded; trusting it for TLS is one more switch
    (Settings > General > About > Certificate Trust Settings), which no profile can flip."""
    seed = fingerprint(cert)
    payload = {
        "PayloadType": "com.apple.security.root", "PayloadVersion": 1,
        "PayloadIdentifier": f"{PROFILE_ID}.ca", "PayloadUUID": str(uuid.uuid5(uuid.NAMESPACE_URL, seed + "/ca")).upper(),
        "PayloadDisplayName": "feedlens CA", "PayloadCertificateFileName": "feedlens-ca.cer",
        "PayloadContent": der(cert),
    }
    profile = {
        "PayloadType": "Configuration", "PayloadVersion": 1, "PayloadIdentifier": PROFILE_ID,
        "PayloadUUID": str(uuid.uuid5(uuid.NAMESPACE_URL, seed)).upper(),
        "PayloadDisplayName": f"feedlens ({device})"[:100],
        "PayloadDescription": "The certificate authority of the feedlens proxy on your home network.",
        "PayloadOrganization": "feedlens", "PayloadRemovalDisallowed": False,
        "PayloadContent": [payload],
    }
    return plistlib.dumps(profile, fmt=plistlib.FMT_XML)


def lan_certificate(data_dir: Path, host: str) -> tuple[Path, Path]:
    """(certificate chain, key) files for the LAN dashboard at `host`, signed by the CA.

    Its own key (mitmproxy's site certificates share one key; the dashboard's should not),
    made again at every start, valid for LAN_DAYS."""
    store = cert_store(data_dir)
    try:
        san = x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        san = x509.DNSName(host)
    key = ec.generate_private_key(ec.SECP256R1())
    ca = store.default_ca._cert
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"feedlens {host}")]))
            .issuer_name(ca.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=LAN_DAYS))
            .add_extension(x509.SubjectAlternativeName([san]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(store.default_privatekey, hashes.SHA256()))
    folder = Path(data_dir) / LAN_DIR
    private.ensure_dir(folder)
    cert_path, key_path = folder / "lan-cert.pem", folder / "lan-key.pem"
    files.write_atomic(key_path, key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode("ascii"), 0o600)
    files.write_atomic(cert_path, (pem(cert) + pem(ca)).decode("ascii"), 0o600)
    return cert_path, key_path
