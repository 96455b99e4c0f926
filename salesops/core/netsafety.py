"""Outbound-URL safety for webhooks and bots (automation rules, notification channels).

Only http(s), and only to globally routable addresses: a host that is, or resolves to, any
address that is not ``is_global`` (private, loopback, link-local, carrier-grade NAT
100.64.0.0/10 — where cloud metadata services live —, reserved, unspecified) or that is
multicast is refused. *Every* address a name resolves to is checked, and so is the IPv4
address embedded in an IPv6 one (IPv4-mapped ``::ffff:a.b.c.d``, IPv4-compatible
``::a.b.c.d``, 6to4 ``2002::/16``, Teredo ``2001::/32`` server and client, NAT64
``64:ff9b::/96`` and ``64:ff9b:1::/48``). Numeric host forms (``2130706433``, ``0177.0.0.1``,
``0x7f.1``) are read as the address they stand for.

:func:`post` sends to the address that was checked (*pinned*): the URL's host is resolved
once, checked, and the connection goes to that IP, with the ``Host`` header, TLS SNI and
certificate check still for the name — so a DNS answer that changes between the check and
the connection (DNS rebinding) cannot move the request elsewhere. Redirects are never
followed, and a proxy from the environment is not used. The answer's body is read up to
:data:`MAX_ANSWER_BYTES` for the caller to parse; it must never be shown to people (a
refused delivery is reported by status code and a reason of ours).

``SALESOPS["WEBHOOK_ALLOW_PRIVATE"]`` lifts the address check (tests and local fake
servers); the URL is still resolved once and pinned.
"""

from __future__ import annotations

import ipaddress
import json
import re
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import requests
from django.conf import settings
from django.utils.translation import gettext as _
from requests.adapters import HTTPAdapter
from urllib3.exceptions import NewConnectionError

MAX_URL_LENGTH = 500
MAX_ANSWER_BYTES = 64 * 1024

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated IPv4-compatible addresses
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_NUMERIC = re.compile(r"[0-9a-fA-FxX.]+")
_LOCAL_NAMES = (".localhost", ".local", ".internal", ".localdomain", ".home.arpa")


class UnsafeURL(ValueError):
    """A webhook URL we refuse to call, with the reason for people."""


@dataclass(frozen=True)
class Target:
    """A URL checked for sending: the name it names and the addresses it resolved to."""

    url: str
    scheme: str
    host: str  # the name (or literal) in the URL: the Host header, SNI and certificate
    port: int
    addresses: tuple[IPAddress, ...]


@dataclass(frozen=True)
class Answer:
    """What the receiver answered. ``body`` is for parsing only, never for people."""

    status: int
    body: bytes

    def json(self):
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None


def _allow_private() -> bool:
    return bool(settings.SALESOPS.get("WEBHOOK_ALLOW_PRIVATE", False))


def embedded_ipv4(ip: IPAddress) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries (and so reaches), if any."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return []
    out = []
    if ip.ipv4_mapped is not None:
        out.append(ip.ipv4_mapped)
    if ip.sixtofour is not None:
        out.append(ip.sixtofour)
    if ip.teredo is not None:
        out.extend(ip.teredo)  # (server, client)
    if ip in _COMPATIBLE and int(ip) > 0xFFFF:
        out.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    if any(ip in net for net in _NAT64):
        out.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return out


def is_public(ip: IPAddress) -> bool:
    """Globally routable, not multicast, and so is every IPv4 address it embeds."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.scope_id:
        return False
    if not ip.is_global or ip.is_multicast:
        return False
    return all(is_public(inner) for inner in embedded_ipv4(ip))


def _literal(host: str) -> IPAddress | None:
    """The address ``host`` spells, including the numeric forms ``inet_aton`` reads."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if _NUMERIC.fullmatch(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def _refused(host: str, ip=None) -> UnsafeURL:
    if ip is None:
        return UnsafeURL(
            _("“%(host)s” is a private or loopback address; webhooks may only call public hosts.")
            % {"host": host}
        )
    return UnsafeURL(
        _(
            "“%(host)s” points to a private or loopback address (%(ip)s); webhooks "
            "may only call public hosts."
        )
        % {"host": host, "ip": ip}
    )


def _split(url: str):
    url = (url or "").strip()
    if not url:
        raise UnsafeURL(_("Enter the URL to call."))
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeURL(
            _("The URL is too long (at most %(n)d characters).") % {"n": MAX_URL_LENGTH}
        )
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeURL(_("Not a valid URL: %(reason)s.") % {"reason": exc}) from None
    if parts.scheme not in ("http", "https"):
        raise UnsafeURL(_("Only http:// and https:// URLs can be called."))
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UnsafeURL(_("The URL has no host name."))
    return url, parts, host, port or (443 if parts.scheme == "https" else 80)


def _check(url: str, *, must_resolve: bool) -> Target | None:
    url, parts, host, port = _split(url)
    allow = _allow_private()
    literal = _literal(host)
    if literal is not None:
        addresses = [literal]
    else:
        if not allow and (host == "localhost" or host.endswith(_LOCAL_NAMES)):
            raise _refused(host)
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            if must_resolve:
                raise UnsafeURL(
                    _("The host “%(host)s” could not be resolved.") % {"host": host}
                ) from None
            return None
        addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))
        if not addresses:
            raise UnsafeURL(_("The host “%(host)s” could not be resolved.") % {"host": host})
    if not allow:
        for ip in addresses:
            if not is_public(ip):
                raise _refused(host, ip)
    return Target(url, parts.scheme, host, port, tuple(addresses))


def check_url(url: str, *, must_resolve: bool = False) -> str:
    """Return the URL if it may be called, else raise :class:`UnsafeURL`.

    A host name that does not resolve is accepted when a rule is saved (the receiver may
    not be up yet) but not when sending (``must_resolve``)."""
    _check(url, must_resolve=must_resolve)
    return url.strip()


def resolve(url: str) -> Target:
    """Check ``url`` for sending now: resolved, every address allowed."""
    return _check(url, must_resolve=True)


# --- sending to the checked address ------------------------------------------------------------


class _PinnedAdapter(HTTPAdapter):
    """Connects to the IP in the (rewritten) URL but does TLS for the original name: SNI
    and the certificate's host name check."""

    def __init__(self, server_name: str):
        self.server_name = server_name
        super().__init__(max_retries=0)

    def build_connection_pool_key_attributes(self, request, verify, cert=None):
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(
            request, verify, cert
        )
        if host_params.get("scheme") == "https":
            pool_kwargs["server_hostname"] = self.server_name
            pool_kwargs["assert_hostname"] = self.server_name
        return host_params, pool_kwargs


def _pinned_url(target: Target, ip: IPAddress) -> tuple[str, str]:
    """The URL with its host replaced by ``ip``, and the Host header for the name."""
    parts = urlsplit(target.url)
    userinfo, _at, hostport = parts.netloc.rpartition("@")
    literal = f"[{ip}]" if isinstance(ip, ipaddress.IPv6Address) else str(ip)
    netloc = f"{userinfo}@" if userinfo else ""
    netloc += f"{literal}:{target.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, "")), hostport


def post(
    target: Target | str, *, data: bytes, headers: dict, timeout: float, verify=True
) -> Answer:
    """POST ``data`` to a checked target (or a URL, checked here), connecting to the address
    that was checked. Raises :class:`UnsafeURL` for a refused target and ``requests``'
    exceptions for network failures; a redirect is an answer like any other (3xx), never
    followed. ``verify``: as in ``requests`` (a CA bundle's path for tests)."""
    if not isinstance(target, Target):
        target = resolve(target)
    # Every address was checked; the first that takes the connection gets the request.
    for n, ip in enumerate(target.addresses):
        try:
            return _post_to(target, ip, data, headers, timeout, verify)
        except requests.ConnectionError as exc:
            if n + 1 == len(target.addresses) or not _not_connected(exc):
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _not_connected(exc: requests.ConnectionError) -> bool:
    """The connection was never made (so nothing was sent): another address may be tried."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, NewConnectionError)


def get(target: Target | str, *, headers: dict, timeout: float, verify=True) -> Answer:
    """GET a checked target, as :func:`post` sends (pinned address, no redirects)."""
    if not isinstance(target, Target):
        target = resolve(target)
    for n, ip in enumerate(target.addresses):
        try:
            return _post_to(target, ip, None, headers, timeout, verify, method="GET")
        except requests.ConnectionError as exc:
            if n + 1 == len(target.addresses) or not _not_connected(exc):
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _post_to(target: Target, ip, data, headers, timeout, verify, method="POST") -> Answer:
    url, host_header = _pinned_url(target, ip)
    session = requests.Session()
    session.trust_env = False  # no proxy from the environment: it would connect for us
    adapter = _PinnedAdapter(target.host)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    try:
        response = session.request(
            method,
            url,
            data=data,
            headers={**headers, "Host": host_header},
            timeout=timeout,
            allow_redirects=False,
            stream=True,
            verify=verify,
        )
        try:
            body = response.raw.read(MAX_ANSWER_BYTES, decode_content=True) or b""
        except Exception:  # noqa: BLE001 - a broken body is an empty one to us
            body = b""
        finally:
            response.close()
    finally:
        session.close()
    return Answer(response.status_code, body)
