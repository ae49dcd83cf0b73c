"""Real mail servers for the email tests: a local SMTP server (aiosmtpd) and Debian's dovecot.

`Smtp` is the town's mail server as the bot and the people's mail clients meet it: it records
every mail sent to the outside world, and delivers mail for the bot's own domain into the bot's
IMAP mailbox (as a real server would, adding Delivered-To), so a person's reply travels
client -> SMTP -> mailbox -> the bot. It can offer STARTTLS with a throwaway self-signed
certificate and ask for a login. `Dovecot` runs dovecot on 127.0.0.1 with a throwaway
configuration, a new mailbox per test (any user name logs in, with one password). Where
dovecot is not installed the tests that need it are skipped with the line that installs it;
under CI they fail instead (.ci/run installs it).
"""

from __future__ import annotations

import imaplib
import itertools
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

INSTALL = "apt-get update && apt-get install -y dovecot-imapd"
DOMAIN = "town.example"
PASSWORD = "mailbox-password"
WAIT = 20.0
_users = itertools.count(1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def certificate(folder: Path) -> tuple[Path, Path]:
    """A throwaway self-signed certificate for 127.0.0.1 and localhost (openssl, which dovecot's
    Debian package brings): (certificate, key)."""
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = folder / "cert.pem", folder / "key.pem"
    if not cert.exists():
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                       check=True, capture_output=True)
    return cert, key


@dataclass
class Sent:
    """A mail as the server took it: the envelope and the parsed message."""

    sender: str
    recipients: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = BytesParser(policy=policy.default).parsebytes(self.raw)
        assert isinstance(parsed, EmailMessage)
        return parsed

    @property
    def text(self) -> str:
        body = self.message.get_body(preferencelist=("plain",))
        return str(body.get_content()) if body is not None else ""

    @property
    def html(self) -> str:
        body = self.message.get_body(preferencelist=("html",))
        return str(body.get_content()) if body is not None else ""

    def __getitem__(self, header: str) -> str:
        return str(self.message.get(header, "")).strip()


class _Counting(SMTP):
    """aiosmtpd's SMTP session, counting the connections made to it."""

    def connection_made(self, transport: Any) -> None:
        # STARTTLS hands the same connection over again, encrypted: count each client socket once.
        self.event_handler.peers.add(transport.get_extra_info("peername"))
        super().connection_made(transport)


class _Controller(Controller):
    def factory(self) -> SMTP:
        return _Counting(self.handler, **self.SMTP_kwargs)


@dataclass
class Smtp:
    """The town's mail server: records what leaves, delivers what is for DOMAIN into `mailbox`."""

    tls: ssl.SSLContext | None = None
    login: tuple[str, str] | None = None
    mailbox: Callable[[str, bytes], None] | None = None
    # Answers an SMTP error to mail for these addresses (a full mailbox, a typo).
    refusing: dict[str, str] = field(default_factory=dict)
    sent: list[Sent] = field(default_factory=list)
    peers: set[object] = field(default_factory=set)
    port: int = field(default_factory=free_port)

    def __post_init__(self) -> None:
        self.arrived = threading.Condition()
        authenticator = self.authenticate if self.login else None
        self.controller = _Controller(self, hostname="127.0.0.1", port=self.port,
                                     tls_context=self.tls, require_starttls=False, authenticator=authenticator,
                                     auth_require_tls=self.tls is not None, auth_required=self.login is not None)
        self.controller.start()
        self.stopped = False

    @property
    def url(self) -> str:
        who = f"{self.login[0]}:{self.login[1].replace(' ', '%20')}@" if self.login else ""
        return f"smtp://{who}127.0.0.1:{self.port}"

    def authenticate(self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and self.login is not None and \
            (data.login.decode(), data.password.decode()) == self.login
        return AuthResult(success=ok, handled=False)

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          options: list[str]) -> str:
        if address in self.refusing:
            return self.refusing[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        outside = [r for r in envelope.rcpt_tos if not r.lower().endswith("@" + DOMAIN)]
        for recipient in envelope.rcpt_tos:
            if recipient not in outside and self.mailbox is not None:
                self.mailbox(recipient, f"Delivered-To: {recipient}\r\n".encode() + raw)
        if outside:
            with self.arrived:
                self.sent.append(Sent(str(envelope.mail_from), outside, raw))
                self.arrived.notify_all()
        return "250 Message accepted"

    @property
    def connections(self) -> int:
        """Connections made to the server so far."""
        return len(self.peers)

    def to(self, address: str) -> list[Sent]:
        return [m for m in self.sent if address in m.recipients]

    def wait_for(self, address: str, count: int = 1, timeout: float = WAIT) -> list[Sent]:
        """The mails to `address` once there are `count`, waiting for them to arrive."""
        with self.arrived:
            if not self.arrived.wait_for(lambda: len(self.to(address)) >= count, timeout):
                raise AssertionError(f"{count} mails to {address} did not arrive; got {len(self.to(address))}")
        return self.to(address)

    def send(self, message: EmailMessage) -> None:
        """A person's mail client sending through this server."""
        import smtplib

        with smtplib.SMTP("127.0.0.1", self.port) as client:
            client.send_message(message)

    def stop(self) -> None:
        if not self.stopped:  # a test may have stopped it already
            self.stopped = True
            self.controller.stop()


def dovecot_installed() -> bool:
    return shutil.which("dovecot") is not None and shutil.which("openssl") is not None


def need_dovecot() -> None:
    if dovecot_installed():
        return
    reason = f"dovecot is not installed; install it with `{INSTALL}`"
    if os.environ.get("CI"):
        pytest.fail(reason + ". CI must run the email tests.")
    pytest.skip(reason)


class Dovecot:
    """dovecot serving IMAP on 127.0.0.1 (STARTTLS on one port, TLS from the start on another),
    with a throwaway configuration, mail folders and passwords under `folder`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.cert, key = certificate(folder / "tls")
        self.port, self.tls_port = free_port(), free_port()
        home = folder / "home"
        home.mkdir()
        uid = os.getuid() or 65534  # dovecot will not keep mail as root: nobody's, when the tests run as root
        if not os.getuid():
            os.chown(home, 65534, 65534)
        config = folder / "dovecot.conf"
        config.write_text(f"""
base_dir = {folder}/run
state_dir = {folder}/state
log_path = {folder}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{self.cert}
ssl_key = <{key}
disable_plaintext_auth = no
auth_mechanisms = plain login
passdb {{
  driver = static
  args = password={PASSWORD}
}}
userdb {{
  driver = static
  args = uid={uid} gid={uid} home={home}/%u
}}
mail_location = maildir:~/Maildir
first_valid_uid = 1
{"" if os.getuid() == 0 else f"default_internal_user = {user()}{chr(10)}default_login_user = {user()}"}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.tls_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
""")
        self.config = config
        self.process = subprocess.Popen(["dovecot", "-F", "-c", str(config)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.STDOUT)
        deadline = time.monotonic() + WAIT
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    log = (folder / "dovecot.log").read_text() if (folder / "dovecot.log").exists() else ""
                    raise AssertionError(f"dovecot did not start: {log}") from None
                time.sleep(0.05)

    def new_user(self, local: str = "partnerbot") -> str:
        """A new mailbox, `<local>-<n>@town.example` (every user's password is PASSWORD)."""
        return f"{local}-{os.getpid()}-{next(_users)}@{DOMAIN}"

    def url(self, user: str, scheme: str = "imap") -> str:
        port = self.tls_port if scheme == "imaps" else self.port
        return f"{scheme}://{user.replace('@', '%40')}:{PASSWORD}@127.0.0.1:{port}"

    def connect(self, user: str) -> imaplib.IMAP4:
        client = imaplib.IMAP4("127.0.0.1", self.port)
        client.login(user, PASSWORD)
        return client

    def deliver(self, recipient: str, raw: bytes) -> None:
        """Put a mail into the mailbox its recipient (`local+token@domain`) names, as a server delivers."""
        local, _, domain = recipient.partition("@")
        client = self.connect(f"{local.partition('+')[0]}@{domain}")
        try:
            client.append("INBOX", "", imaplib.Time2Internaldate(time.time()), raw)
        finally:
            client.logout()

    def unseen(self, user: str) -> int:
        client = self.connect(user)
        try:
            client.select("INBOX")
            _, found = client.search(None, "UNSEEN")
            return len(found[0].split())
        finally:
            client.logout()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=WAIT)


def user() -> str:
    import pwd

    return pwd.getpwuid(os.getuid()).pw_name


# Fixtures ------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def dovecot() -> Any:
    """One dovecot per test worker. Its folder is outside pytest's (which only its owner may
    enter): dovecot's own users read the passwords and keep the mail there."""
    need_dovecot()
    folder = Path(tempfile.mkdtemp(prefix="partnerbot-dovecot-"))
    folder.chmod(0o755)
    server = Dovecot(folder)
    yield server
    server.stop()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def smtp() -> Any:
    """The mail server alone, recording what the bot sends."""
    server = Smtp()
    yield server
    server.stop()


@pytest.fixture
def post_office(dovecot: Dovecot) -> Any:
    """The mail server delivering the bot's domain into dovecot: (server, the bot's mailbox address)."""
    server = Smtp(mailbox=dovecot.deliver)
    yield server, dovecot.new_user()
    server.stop()
