import pytest

from salesops.core.netsafety import UnsafeURL, check_url


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
    ],
)
def test_private_loopback_and_link_local_targets_are_refused(url, settings):
    settings.SALESOPS = {**settings.SALESOPS, "WEBHOOK_ALLOW_PRIVATE": False}
    with pytest.raises(UnsafeURL, match="private or loopback"):
        check_url(url)


@pytest.mark.parametrize(
    "url", ["ftp://example.com/x", "file:///etc/passwd", "javascript:alert(1)"]
)
def test_only_http_and_https(url):
    with pytest.raises(UnsafeURL, match="Only http:// and https://"):
        check_url(url)


def test_public_address_passes_and_the_setting_allows_loopback(settings):
    settings.SALESOPS = {**settings.SALESOPS, "WEBHOOK_ALLOW_PRIVATE": False}
    assert check_url("https://1.1.1.1/hook") == "https://1.1.1.1/hook"
    settings.SALESOPS = {**settings.SALESOPS, "WEBHOOK_ALLOW_PRIVATE": True}
    assert check_url("http://127.0.0.1:9/hook") == "http://127.0.0.1:9/hook"


# --- issue 11, item 4: only globally routable addresses, pinned ---------------------------------

import http.server  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import ssl  # noqa: E402
import subprocess  # noqa: E402
import threading  # noqa: E402
from ipaddress import ip_address  # noqa: E402

import requests  # noqa: E402

from salesops.core import netsafety  # noqa: E402

REFUSED = [
    # carrier-grade NAT 100.64.0.0/10 (Alibaba Cloud's metadata service)
    "http://100.100.100.200/latest/meta-data/",
    "http://100.64.0.1/",
    # 6to4 of loopback, private and link-local IPv4
    "http://[2002:7f00:1::]/",
    "http://[2002:a00:1::]/",
    "http://[2002:a9fe:a9fe::]/",
    # Teredo (server 65.54.227.120, client 127.0.0.1 obfuscated)
    "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/",
    # NAT64 well-known and local-use prefixes
    "http://[64:ff9b::7f00:1]/",
    "http://[64:ff9b::a9fe:a9fe]/",
    "http://[64:ff9b:1::a00:1]/",
    # IPv4-mapped and IPv4-compatible
    "http://[::ffff:100.100.100.200]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::127.0.0.1]/",
    # link-local, unique-local, loopback, unspecified
    "http://169.254.169.254/latest/meta-data",
    "http://[fe80::1]/",
    "http://[fc00::1]/",
    "http://[::1]/",
    "http://0.0.0.0:8000/",
    "http://[::]/",
    "http://0/",
    # multicast (``is_global`` alone lets these through) and broadcast, benchmarking, reserved
    "http://224.0.0.1/",
    "http://239.255.255.250/",
    "http://[ff0e::1]/",
    "http://255.255.255.255/",
    "http://198.18.0.1/",
    "http://240.0.0.1/",
    # decimal, octal, hexadecimal and short forms of 127.0.0.1 / 10.0.0.1
    "http://2130706433/",
    "http://0177.0.0.1/",
    "http://0x7f.0.0.1/",
    "http://0x7f000001/",
    "http://127.1/",
    "http://012.0.0.1/",
    "http://167772161/",
    # names of this machine
    "http://localhost./",
    "http://metadata.internal/",
]


@pytest.mark.parametrize("url", REFUSED)
def test_addresses_that_are_not_globally_routable_are_refused(url, settings):
    settings.SALESOPS = {**settings.SALESOPS, "WEBHOOK_ALLOW_PRIVATE": False}
    with pytest.raises(UnsafeURL, match="private or loopback"):
        check_url(url)
    with pytest.raises(UnsafeURL, match="private or loopback"):
        netsafety.resolve(url)


@pytest.mark.parametrize(
    "address",
    ["8.8.8.8", "2606:4700:4700::1111", "2002:808:808::", "64:ff9b::808:808", "::ffff:8.8.8.8"],
)
def test_public_addresses_and_their_ipv6_forms_pass(address, settings):
    settings.SALESOPS = {**settings.SALESOPS, "WEBHOOK_ALLOW_PRIVATE": False}
    assert netsafety.is_public(ip_address(address))


def test_every_embedded_ipv4_is_found():
    found = netsafety.embedded_ipv4
    assert found(ip_address("2002:7f00:1::")) == [ip_address("127.0.0.1")]
    assert found(ip_address("64:ff9b::a9fe:a9fe")) == [ip_address("169.254.169.254")]
    assert ip_address("127.0.0.1") in found(ip_address("2001:0:4136:e378:8000:63bf:80ff:fffe"))
    assert found(ip_address("::ffff:10.0.0.1")) == [ip_address("10.0.0.1")]


def _loopback_name() -> str:
    """A name (not an address, not "localhost") this machine resolves to a loopback address."""
    name = socket.gethostname()
    try:
        infos = socket.getaddrinfo(name, 80, type=socket.SOCK_STREAM)
    except OSError:
        pytest.skip("this machine's name does not resolve")
    if not any(ip_address(info[4][0]).is_loopback for info in infos):
        pytest.skip("this machine's name does not resolve to a loopback address")
    return name


def test_a_name_that_resolves_to_loopback_is_refused(settings):
    settings.SALESOPS = {**settings.SALESOPS, "WEBHOOK_ALLOW_PRIVATE": False}
    name = _loopback_name()
    with pytest.raises(UnsafeURL, match="points to a private or loopback address"):
        check_url(f"http://{name}:8000/hook")
    with pytest.raises(UnsafeURL, match="points to a private or loopback address"):
        netsafety.post(f"http://{name}:8000/hook", data=b"{}", headers={}, timeout=2)


# --- pinning: the request goes to the address that was checked --------------------------------


class _Recorder(http.server.BaseHTTPRequestHandler):
    seen: list = []
    answer = (200, b'{"ok": true}', {})

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        type(self).seen.append(
            {"host": self.headers.get("Host"), "path": self.path, "body": self.rfile.read(length)}
        )
        status, body, headers = type(self).answer
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    handler = type("Handler", (_Recorder,), {"seen": [], "answer": _Recorder.answer})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    httpd.handler = handler
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def test_the_request_goes_to_the_checked_address_not_to_a_new_lookup(server):
    # Given a target checked as "hook.invalid" → 127.0.0.1 (".invalid" never resolves, so
    # any new DNS lookup at connect time would fail)
    port = server.server_address[1]
    target = netsafety.Target(
        f"http://hook.invalid:{port}/hook?x=1",
        "http",
        "hook.invalid",
        port,
        (ip_address("127.0.0.1"),),
    )
    # When it is sent
    answer = netsafety.post(target, data=b'{"a": 1}', headers={}, timeout=5)
    # Then the checked address got it, for the name it was sent to
    assert answer.status == 200 and answer.json() == {"ok": True}
    [request] = server.handler.seen
    assert request == {"host": f"hook.invalid:{port}", "path": "/hook?x=1", "body": b'{"a": 1}'}


def test_a_redirect_is_not_followed(server, settings):
    settings.SALESOPS = {**settings.SALESOPS, "WEBHOOK_ALLOW_PRIVATE": True}
    server.handler.answer = (302, b"", {"Location": "http://169.254.169.254/latest/meta-data/"})
    port = server.server_address[1]
    answer = netsafety.post(f"http://127.0.0.1:{port}/hook", data=b"{}", headers={}, timeout=5)
    assert answer.status == 302
    assert len(server.handler.seen) == 1


def _certificate(tmp_path, name: str):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    key, cert = tmp_path / f"{name}.key", tmp_path / f"{name}.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert), "-subj", f"/CN={name}",
            "-addext", f"subjectAltName=DNS:{name}",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return key, cert


@pytest.fixture
def tls_server(tmp_path, server):
    key, cert = _certificate(tmp_path, "hook.invalid")
    names = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda sock, name, ctx: names.append(name)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.sni, server.cert = names, cert
    return server


def test_https_is_pinned_with_sni_and_the_certificate_checked_for_the_name(tls_server):
    port = tls_server.server_address[1]
    loopback = (ip_address("127.0.0.1"),)
    target = netsafety.Target(
        f"https://hook.invalid:{port}/hook", "https", "hook.invalid", port, loopback
    )
    answer = netsafety.post(target, data=b"{}", headers={}, timeout=5, verify=str(tls_server.cert))
    assert answer.status == 200
    assert tls_server.sni == ["hook.invalid"]
    assert tls_server.handler.seen[0]["host"] == f"hook.invalid:{port}"
    # A name the certificate is not for is refused, although the address is the same
    other = netsafety.Target(
        f"https://other.invalid:{port}/hook", "https", "other.invalid", port, loopback
    )
    with pytest.raises(requests.exceptions.SSLError):
        netsafety.post(other, data=b"{}", headers={}, timeout=5, verify=str(tls_server.cert))


def test_when_the_first_checked_address_refuses_the_next_one_is_used(server):
    port = server.server_address[1]
    addresses = (ip_address("127.0.0.2"), ip_address("127.0.0.1"))  # nobody on .2
    target = netsafety.Target(
        f"http://hook.invalid:{port}/", "http", "hook.invalid", port, addresses
    )
    assert netsafety.post(target, data=b"{}", headers={}, timeout=5).status == 200
    assert len(server.handler.seen) == 1
