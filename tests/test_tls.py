"""HTTPS and Meta's mutual TLS in `botkit serve`: real handshakes on loopback, against uvicorn
and hypercorn, with a CA, a server and client certificates made here."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import re
import signal
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from samples import free_port, payload_bytes

from botkit import SettingsError
from botkit.security.names import common_names_in_dn, names_match
from botkit.settings import Settings
from botkit.testing import signed_headers

BOTKIT = str(Path(sys.executable).with_name("botkit"))
META_CN = "client.webhooks.fbclientcerts.com"
BODY = payload_bytes("message_text.json")


# -- certificates ------------------------------------------------------------------------------


class Authority:
    """A throwaway CA that issues server and client certificates into ``folder``."""

    def __init__(self, folder: Path, name: str) -> None:
        self.folder, self.name = folder, name
        self.key = ec.generate_private_key(ec.SECP256R1())
        subject = _name(name)
        self.cert = (_builder(subject, self.key.public_key()).issuer_name(subject)
                     .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
                     .sign(self.key, hashes.SHA256()))
        self.bundle = folder / f"{name}-ca.pem"
        self.bundle.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))

    def issue(self, common_name: str, *, client: bool) -> Path:
        """A PEM file holding the certificate and its key."""
        key = ec.generate_private_key(ec.SECP256R1())
        usage = ExtendedKeyUsageOID.CLIENT_AUTH if client else ExtendedKeyUsageOID.SERVER_AUTH
        builder = (_builder(_name(common_name), key.public_key()).issuer_name(self.cert.subject)
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
                   .add_extension(x509.ExtendedKeyUsage([usage]), False))
        if not client:
            builder = builder.add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        cert = builder.sign(self.key, hashes.SHA256())
        path = self.folder / f"{self.name}-{common_name}.pem"
        path.write_bytes(cert.public_bytes(serialization.Encoding.PEM) + key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
        return path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "botkit tests"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _builder(subject: x509.Name, public_key) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.UTC)
    return (x509.CertificateBuilder().subject_name(subject).public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(hours=1)))


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pki")
    meta, other = Authority(folder, "meta"), Authority(folder, "other")
    return {
        "server_ca": meta.bundle, "client_ca": meta.bundle,
        "server": meta.issue("127.0.0.1", client=False),
        "meta": meta.issue(META_CN, client=True),
        "wrong_cn": meta.issue("evil.example", client=True),
        "other_ca": other.issue(META_CN, client=True),
    }


def client_context(pki, certificate: str | None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(pki["server_ca"]))
    if certificate:
        context.load_cert_chain(pki[certificate])
    return context


# -- botkit serve over TLS ---------------------------------------------------------------------



def write_settings(folder: Path, pki, port: int, server: str, mutual: bool = True) -> Path:
    client_ca = f'client_ca = "{pki["client_ca"]}"' if mutual else ""
    path = folder / "botkit.toml"
    path.write_text(f"""
[whatsapp]
verify_token = "vt"
app_secret = "test-secret"

[server]
bind = "127.0.0.1:{port}"
server = "{server}"
certfile = "{pki["server"]}"
keyfile = "{pki["server"]}"
{client_ca}

[store]
url = "sqlite:///{folder / "botkit.db"}"
dedupe_days = 3650

[logging]
format = "text"
""")
    return path


@pytest.fixture
def serve_tls(tmp_path, pki):
    processes: list[subprocess.Popen] = []

    def start(server: str = "uvicorn", mutual: bool = True) -> tuple[str, subprocess.Popen]:
        port = free_port()
        config = write_settings(tmp_path, pki, port, server, mutual)
        process = subprocess.Popen([BOTKIT, "serve", "--config", str(config)],
                                   env={**os.environ, "PYTHONPATH": ""}, cwd=tmp_path,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        processes.append(process)
        base = f"https://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(f"botkit serve exited: {process.stderr.read()}")
            try:
                ready = httpx.get(f"{base}/readyz", verify=client_context(pki, "meta"), timeout=1)
                if ready.status_code == 200:
                    return base, process
            except httpx.TransportError:
                time.sleep(0.05)
        raise AssertionError("botkit serve did not become ready over TLS")

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait()


def signed_post(base: str, context: ssl.SSLContext) -> httpx.Response:
    return httpx.post(f"{base}/webhook", content=BODY, verify=context, timeout=5,
                      headers=signed_headers(BODY, "test-secret"))


def stop(process: subprocess.Popen) -> str:
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=20) == 0
    return process.stderr.read()


def test_mutual_tls_admits_only_metas_certificate_on_uvicorn(serve_tls, pki):
    base, process = serve_tls("uvicorn")
    for refused in (None, "wrong_cn", "other_ca"):
        with pytest.raises(httpx.TransportError):
            signed_post(base, client_context(pki, refused))
    assert signed_post(base, client_context(pki, "meta")).status_code == 200
    metrics = httpx.get(f"{base}/metrics", verify=client_context(pki, "meta")).text
    # the refused connections never reached the app: one webhook answer in all
    answers = re.findall(r'^botkit_webhook_responses_total\{status="(\d+)"\} (\S+)$', metrics,
                         re.MULTILINE)
    assert answers == [("200", "1.0")]
    log = stop(process)
    assert "TLS client refused: peer did not return a certificate" in log
    assert f"TLS client refused: its certificate names evil.example, not {META_CN}" in log
    assert "TLS client refused: unable to get local issuer certificate" in log


def test_mutual_tls_on_hypercorn(serve_tls, pki):
    base, process = serve_tls("hypercorn")
    with pytest.raises(httpx.TransportError):
        signed_post(base, client_context(pki, "wrong_cn"))
    with pytest.raises(httpx.TransportError):
        signed_post(base, client_context(pki, None))
    assert signed_post(base, client_context(pki, "meta")).status_code == 200
    assert f"its certificate names evil.example, not {META_CN}" in stop(process)


def test_https_without_client_ca_accepts_any_client(serve_tls, pki):
    base, process = serve_tls("uvicorn", mutual=False)
    assert signed_post(base, client_context(pki, None)).status_code == 200
    with pytest.raises(httpx.TransportError):  # plain HTTP is not served on the TLS port
        httpx.get(base.replace("https:", "http:") + "/healthz", timeout=2)
    stop(process)


# -- settings ----------------------------------------------------------------------------------


def settings_with(folder: Path, server: str) -> Path:
    path = folder / "botkit.toml"
    path.write_text(f'[whatsapp]\nverify_token = "vt"\napp_secret = "s"\n[server]\n{server}\n')
    return path


def test_tls_files_resolve_from_the_settings_folder(tmp_path, pki):
    (tmp_path / "tls").mkdir()
    (tmp_path / "tls" / "server.pem").write_bytes(pki["server"].read_bytes())
    (tmp_path / "tls" / "meta-ca.pem").write_bytes(pki["client_ca"].read_bytes())
    path = settings_with(tmp_path, 'certfile = "tls/server.pem"\nkeyfile = "tls/server.pem"\n'
                                   'client_ca = "tls/meta-ca.pem"')
    server = Settings.from_file(path, env={}).server
    assert server.certfile == str(tmp_path / "tls" / "server.pem")
    assert server.client_ca == str(tmp_path / "tls" / "meta-ca.pem")
    assert server.client_cn == META_CN


def test_every_tls_problem_is_reported_with_its_path(tmp_path, pki):
    (tmp_path / "empty.pem").write_text("")
    with pytest.raises(SettingsError) as error:
        Settings.from_file(settings_with(tmp_path, 'keyfile = "key.pem"\nclient_ca = "ca.pem"'),
                           env={})
    assert error.value.problems == [
        "server.certfile: needed with server.keyfile (HTTPS needs both)",
        "server.client_ca: mutual TLS needs HTTPS: set server.certfile and server.keyfile too",
        f"server.client_ca: cannot load {tmp_path / 'ca.pem'}: No such file or directory",
    ]
    other_key = pki["other_ca"]  # a key that does not belong to the server certificate
    server = pki["server"].read_text().split("-----BEGIN PRIVATE KEY")[0]
    (tmp_path / "cert-only.pem").write_text(server)
    with pytest.raises(SettingsError) as error:
        Settings.from_file(settings_with(
            tmp_path, f'certfile = "cert-only.pem"\nkeyfile = "{other_key}"\n'
                      'client_ca = "empty.pem"'), env={})
    assert len(error.value.problems) == 2
    assert error.value.problems[0].startswith(
        f"server.certfile: cannot load {tmp_path / 'cert-only.pem'} with key {other_key}: ")
    assert "key values mismatch" in error.value.problems[0]
    assert error.value.problems[1] == (f"server.client_ca: cannot load {tmp_path / 'empty.pem'}"
                                       ": no certificate or crl found")
    (tmp_path / "garbage.pem").write_text("not a certificate")
    with pytest.raises(SettingsError) as error:
        Settings.from_file(settings_with(
            tmp_path, 'certfile = "garbage.pem"\nkeyfile = "garbage.pem"'), env={})
    assert error.value.problems == [
        f"server.certfile: cannot load {tmp_path / 'garbage.pem'} with key "
        f"{tmp_path / 'garbage.pem'}: no PEM certificate with its key in it (is the key "
        "missing or encrypted?)"]


# -- reading forwarded subjects ----------------------------------------------------------------


@pytest.mark.parametrize(("subject", "names"), [
    (f"CN={META_CN},O=Meta Platforms\\, Inc.,L=Menlo Park,ST=California,C=US", [META_CN]),
    (f"/C=US/ST=California/O=Meta Platforms, Inc./CN={META_CN}", [META_CN]),
    (f'C=US+commonName="{META_CN}"', [META_CN]),
    (f"O=CN\\={META_CN},CN=evil.example", ["evil.example"]),
    ("CN=caf\\C3\\A9.example", ["café.example"]),
    ("O=Meta", []),
])
def test_common_names_in_forwarded_subjects(subject, names):
    assert common_names_in_dn(subject) == names


def test_names_match_needs_every_common_name_to_be_the_expected_one():
    assert names_match([META_CN.upper()], META_CN)
    assert not names_match([], META_CN)
    assert not names_match([META_CN, "evil.example"], META_CN)
