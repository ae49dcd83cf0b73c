"""The operator's mail servers, from SMTP_URL and IMAP_URL, reached safely.

`smtps://` and `imaps://` speak TLS from the first byte; `smtp://` and `imap://` upgrade with
STARTTLS, and refuse to send a password over a connection they could not upgrade, unless the
server is on this machine (a loopback address). Certificates are checked against the system's
authorities (SSL_CERT_FILE names another bundle, for a server with a private authority).
`check_smtp` and `check_imap` log in and out without sending or reading any mail, for `doctor`.
"""

from __future__ import annotations

import ipaddress
import smtplib
import ssl
from dataclasses import dataclass
from email.headerregistry import Address
from email.utils import getaddresses
from urllib.parse import unquote, urlsplit

from imap_tools import BaseMailBox, MailBox, MailBoxUnencrypted

TIMEOUT = 30.0
PORTS = {"smtp": 587, "smtps": 465, "imap": 143, "imaps": 993}


class Refused(Exception):
    """A server this machine must not send a password to (no TLS), or settings that cannot work."""


@dataclass(frozen=True)
class Endpoint:
    """A server from its URL: `scheme://user:password@host:port/path`."""

    scheme: str
    host: str
    port: int
    user: str | None
    password: str | None
    path: str

    @classmethod
    def parse(cls, url: str, setting: str, schemes: tuple[str, str]) -> Endpoint:
        try:
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError as bad:
            raise Refused(f"{setting} isn't a URL like {schemes[0]}://user:password@host ({bad})") from None
        if parts.scheme not in schemes or not parts.hostname:
            raise Refused(f"{setting} must look like {schemes[0]}://user:password@host or {schemes[1]}://..., "
                          f"not {parts.scheme or 'no scheme'}://")
        return cls(parts.scheme, parts.hostname, port or PORTS[parts.scheme],
                   unquote(parts.username) if parts.username else None,
                   unquote(parts.password) if parts.password else None, unquote(parts.path.strip("/")))

    @property
    def implicit_tls(self) -> bool:
        return self.scheme.endswith("s")

    @property
    def shown(self) -> str:
        """The endpoint as safe to print: no password."""
        who = f"{self.user}@" if self.user else ""
        return f"{self.scheme}://{who}{self.host}:{self.port}"


def smtp_endpoint(url: str) -> Endpoint:
    return Endpoint.parse(url, "SMTP_URL", ("smtp", "smtps"))


def imap_endpoint(url: str) -> Endpoint:
    return Endpoint.parse(url, "IMAP_URL", ("imap", "imaps"))


def secrets_in(url: str | None) -> list[str]:
    """The password a server URL carries, as written and as sent, for logs to blank out."""
    password = urlsplit(url).password if url else None
    return [password, unquote(password)] if password else []


def mail_from(value: str | None) -> Address:
    """MAIL_FROM (`Riverside partnerbot <partnerbot@town.org>` or a bare address)."""
    found = getaddresses([value or ""])
    if not value or not found or "@" not in found[0][1]:
        raise Refused("MAIL_FROM must be the bot's address, like partnerbot@town.example (its mailbox takes the "
                      "replies: partnerbot+...@town.example must reach it)")
    name, address = found[0]
    local, _, domain = address.rpartition("@")
    return Address(name or "partnerbot", local, domain)


def tls_context() -> ssl.SSLContext:
    """Checks the server's certificate and name; made afresh, so SSL_CERT_FILE is read when connecting."""
    return ssl.create_default_context()


def loopback(peer: str) -> bool:
    """Whether a connected socket's peer address is this machine."""
    try:
        return ipaddress.ip_address(peer.split("%")[0]).is_loopback
    except ValueError:
        return False


def plain_login_allowed(peer: str, endpoint: Endpoint) -> bool:
    """A password goes only over TLS, or to a server on this machine; no password, no question."""
    return endpoint.password is None or loopback(peer)


def open_smtp(endpoint: Endpoint) -> smtplib.SMTP:
    """A logged-in SMTP session, encrypted unless the server is on this machine."""
    smtp: smtplib.SMTP
    if endpoint.implicit_tls:
        smtp = smtplib.SMTP_SSL(endpoint.host, endpoint.port, timeout=TIMEOUT, context=tls_context())
    else:
        smtp = smtplib.SMTP(endpoint.host, endpoint.port, timeout=TIMEOUT)
    try:
        smtp.ehlo()
        if not endpoint.implicit_tls:
            if smtp.has_extn("starttls"):
                smtp.starttls(context=tls_context())
                smtp.ehlo()
            elif not plain_login_allowed(smtp.sock.getpeername()[0], endpoint):
                raise Refused(f"{endpoint.host} offers no STARTTLS, so the password was not sent: use smtps:// "
                              "(port 465) or a server that offers STARTTLS")
        if endpoint.user:
            smtp.login(endpoint.user, endpoint.password or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


def open_imap(endpoint: Endpoint) -> BaseMailBox:
    """A logged-in mailbox with its folder (IMAP_URL's path, INBOX by default) selected."""
    box: BaseMailBox
    if endpoint.implicit_tls:
        box = MailBox(endpoint.host, endpoint.port, timeout=TIMEOUT, ssl_context=tls_context())
    else:
        box = MailBoxUnencrypted(endpoint.host, endpoint.port, timeout=TIMEOUT)
        if "STARTTLS" in box.client.capabilities:
            box.client.starttls(tls_context())
        elif not plain_login_allowed(box.client.sock.getpeername()[0], endpoint):
            box.client.shutdown()
            raise Refused(f"{endpoint.host} offers no STARTTLS, so the password was not sent: use imaps:// "
                          "(port 993) or a server that offers STARTTLS")
    try:
        box.login(endpoint.user or "", endpoint.password or "", endpoint.path or "INBOX")
    except BaseException:
        box.client.shutdown()
        raise
    return box


def check_smtp(url: str) -> str:
    """Log in to the SMTP server and leave, sending nothing; says how the connection was secured."""
    endpoint = smtp_endpoint(url)
    smtp = open_smtp(endpoint)
    try:
        secured = "TLS" if isinstance(smtp.sock, ssl.SSLSocket) else "no TLS (a server on this machine)"
        smtp.noop()
    finally:
        smtp.quit()
    return f"{endpoint.shown} answers, over {secured}" + (", and takes the login" if endpoint.user else "")


def check_imap(url: str) -> str:
    """Log in to the mailbox and leave, reading nothing; says how many mails wait unread."""
    endpoint = imap_endpoint(url)
    box = open_imap(endpoint)
    try:
        secured = "TLS" if isinstance(box.client.sock, ssl.SSLSocket) else "no TLS (a server on this machine)"
        unseen = box.folder.status(endpoint.path or "INBOX", ["UNSEEN"])["UNSEEN"]
    finally:
        box.logout()
    return f"{endpoint.shown} takes the login over {secured}; {endpoint.path or 'INBOX'} has {unseen} unread"

