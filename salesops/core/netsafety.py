"""Outbound-URL safety for webhooks and bots (automation rules, notification channels).

Only http(s); hosts that are, or resolve to, private, loopback, link-local, multicast or
reserved addresses are refused unless ``SALESOPS["WEBHOOK_ALLOW_PRIVATE"]`` is set, so a
rule or bot configuration cannot be used to reach the machine's own services.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

MAX_URL_LENGTH = 500


class UnsafeURL(ValueError):
    """A webhook URL we refuse to call, with the reason for people."""


def _blocked(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def check_url(url: str, *, must_resolve: bool = False) -> str:
    """Return the URL if it may be called, else raise :class:`UnsafeURL`.

    A host name that does not resolve is accepted when a rule is saved (the receiver may
    not be up yet) but not when sending (``must_resolve``)."""
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
    host = parts.hostname
    if not host:
        raise UnsafeURL(_("The URL has no host name."))
    if settings.SALESOPS.get("WEBHOOK_ALLOW_PRIVATE", False):
        return url
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
            raise UnsafeURL(
                _(
                    "“%(host)s” is a private or loopback address; webhooks may only call public hosts."
                )
                % {"host": host}
            ) from None
        try:
            infos = socket.getaddrinfo(host, port or 443, proto=socket.IPPROTO_TCP)
        except (socket.gaierror, UnicodeError):
            if must_resolve:
                raise UnsafeURL(
                    _("The host “%(host)s” could not be resolved.") % {"host": host}
                ) from None
            return url
        addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    for ip in addresses:
        if _blocked(ip):
            raise UnsafeURL(
                _(
                    "“%(host)s” points to a private or loopback address (%(ip)s); webhooks "
                    "may only call public hosts."
                )
                % {"host": host, "ip": ip}
            )
    return url
