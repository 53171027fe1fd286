"""monitor.alerts.notifiers.email: delivery to a local SMTP server (aiosmtpd), plain, with
STARTTLS and login, and over implicit TLS, with a certificate made for the test run; and
how the server's refusals become retryable or permanent NotifyErrors."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from pydantic import ValidationError

from monitor import plugins
from monitor.alerts.notifiers import mime
from monitor.alerts.notifiers.email import EmailNotifier, EmailSettings
from monitor.errors import NotifyError
from tests.alerts.notifiers import samples

USER_ENV = "ASNMON_TEST_SMTP_USER"
PASSWORD_ENV = "ASNMON_TEST_SMTP_PASSWORD"
USER = "monitor@sukamaju.go.id"
PASSWORD = "kata-sandi-rahasia-uji"
SENDER = "Monitor ASN <monitor@sukamaju.go.id>"


# -- a local SMTP server ----------------------------------------------------------------


@dataclass
class Inbox:
    """An aiosmtpd handler that keeps what it receives and answers as told."""

    received: list[Envelope] = field(default_factory=list)
    #: recipient -> the answer to RCPT TO for it
    rcpt_answers: dict[str, str] = field(default_factory=dict)
    #: the answer to DATA (None: accept)
    data_answer: str | None = None

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address in self.rcpt_answers:
            return self.rcpt_answers[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.data_answer is not None:
            return self.data_answer
        self.received.append(envelope)
        return "250 Message accepted for delivery"

    def only(self) -> tuple[Envelope, EmailMessage]:
        assert len(self.received) == 1
        envelope = self.received[0]
        assert isinstance(envelope.content, bytes)
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return envelope, parsed


def lines(part: EmailMessage) -> str:
    """A text part's content with mail line breaks (CRLF) as newlines."""
    content = part.get_content()
    assert isinstance(content, str)
    return content.replace("\r\n", "\n")


class LocalSMTP(Controller):
    """A Controller on a port the system picks (aiosmtpd 1.4 wants a fixed one)."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


def authenticator(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == USER.encode()
        and auth_data.password == PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """A self-signed certificate for localhost and 127.0.0.1, made now with openssl."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed: no certificate for the TLS tests")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "2", "-subj", "/CN=localhost", "-keyout", str(key), "-out",
         str(cert), "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return Certificate(cert, key)


Serve = Callable[..., tuple[Inbox, int]]


@pytest.fixture
def serve() -> Iterator[Serve]:
    """Start a local SMTP server with the given Controller options: (inbox, port)."""
    started: list[Controller] = []

    def serve(inbox: Inbox | None = None, **options: Any) -> tuple[Inbox, int]:
        inbox = inbox or Inbox()
        controller = LocalSMTP(inbox, hostname="127.0.0.1", port=0, **options)
        controller.start()
        started.append(controller)
        return inbox, controller.port

    yield serve
    for controller in started:
        controller.stop()


def notifier(port: int, base_dir: Path = Path(), **settings: Any) -> EmailNotifier:
    values: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "sender": SENDER,
        "to": ["Tim Pengawasan <pengawas@sukamaju.go.id>"],
        "timeout": 5,
    }
    values.update(settings)
    return EmailNotifier(EmailSettings.model_validate(values), instance="kantor", base_dir=base_dir)


def closed_port() -> int:
    """A port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv(USER_ENV, USER)
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    return {"username_env": USER_ENV, "password_env": PASSWORD_ENV}


# -- settings -----------------------------------------------------------------------------


def test_registered_as_a_plugin() -> None:
    assert plugins.load("notifiers", "email") is EmailNotifier


BASE = {"host": "smtp.sukamaju.go.id", "sender": SENDER, "to": ["a@sukamaju.go.id"]}


@pytest.mark.parametrize(
    ("changes", "port"),
    [
        pytest.param({}, 587, id="starttls-587"),
        pytest.param({"security": "ssl"}, 465, id="ssl-465"),
        pytest.param({"security": "none"}, 25, id="none-25"),
        pytest.param({"security": "ssl", "port": 2465}, 2465, id="explicit-port"),
    ],
)
def test_default_port_follows_security(changes: dict[str, Any], port: int) -> None:
    assert EmailSettings.model_validate({**BASE, **changes}).effective_port == port


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param({"to": []}, "at least 1", id="no-recipient"),
        pytest.param({"to": ["bukan alamat"]}, "tidak sah", id="bad-recipient"),
        pytest.param({"sender": "a@x.id, b@x.id"}, "tidak sah", id="two-senders"),
        pytest.param({"username_env": "U"}, "keduanya", id="user-without-password"),
        pytest.param(
            {"username_env": "U", "password_env": "P", "security": "none"},
            "tanpa TLS",
            id="password-in-clear",
        ),
        pytest.param({"security": "tls"}, "starttls", id="unknown-security"),
        pytest.param({"password": "x"}, "Extra inputs", id="password-in-file"),
    ],
)
def test_settings_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        EmailSettings.model_validate({**BASE, **changes})


# -- delivery -----------------------------------------------------------------------------


def test_digest_arrives_as_html_text_and_csv(serve: Serve) -> None:
    inbox, port = serve()
    message = samples.digest()
    notifier(port, cc=["ketua@sukamaju.go.id"], bcc=["arsip@sukamaju.go.id"]).send(message)

    envelope, mail = inbox.only()
    assert envelope.mail_from == "monitor@sukamaju.go.id"
    assert envelope.rcpt_tos == [
        "pengawas@sukamaju.go.id",
        "ketua@sukamaju.go.id",
        "arsip@sukamaju.go.id",
    ]
    assert mail["Subject"] == "[asn-monitor] Ringkasan harian 1 Oktober 2024 — 2 peringatan baru"
    assert mail["From"] == SENDER
    assert mail["To"] == "Tim Pengawasan <pengawas@sukamaju.go.id>"
    assert mail["Cc"] == "ketua@sukamaju.go.id"
    assert mail["Bcc"] is None
    assert mail["Message-ID"] == mime.message_id(message.key)
    assert mail["Auto-Submitted"] == "auto-generated"
    assert parsedate_to_datetime(mail["Date"]).tzinfo is not None

    assert mail.get_content_type() == "multipart/mixed"
    alternative, csv = mail.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    text, html = alternative.iter_parts()
    assert text.get_content_type() == "text/plain"
    assert lines(text) == message.text
    assert html.get_content_type() == "text/html"
    assert lines(html).strip() == message.html
    assert csv.get_content_type() == "text/csv"
    assert csv.get_param("charset") == "utf-8"
    assert csv.get_filename() == "peringatan-2024-10-01.csv"
    assert csv.get_payload(decode=True) == samples.CSV.encode()


def test_notice_is_plain_text(serve: Serve) -> None:
    inbox, port = serve()
    notifier(port, subject_prefix="[Bawaslu]").send(samples.notice())
    _, mail = inbox.only()
    assert mail.get_content_type() == "text/plain"
    assert mail["Subject"] == "[Bawaslu] Peringatan kritis #12: @budi_asn"
    assert lines(mail) == samples.notice().text + "\n"


def test_message_id_follows_the_key(serve: Serve) -> None:
    inbox, port = serve()
    email = notifier(port)
    email.send(samples.digest("digest:2024-10-01:kantor"))
    email.send(samples.digest("digest:2024-10-01:kantor"))  # again, after a crash
    email.send(samples.digest("digest:2024-10-02:kantor"))
    ids = [message_from_bytes(e.content)["Message-ID"] for e in inbox.received]  # type: ignore[arg-type]
    assert ids[0] == ids[1] != ids[2]


@pytest.mark.parametrize(
    "trust",
    [
        pytest.param("ca_file", id="certificate-trusted"),
        pytest.param("no-verify", id="tls-verify-off"),
    ],
)
def test_starttls_and_login(
    serve: Serve, certificate: Certificate, credentials: dict[str, str], trust: str
) -> None:
    inbox, port = serve(
        tls_context=certificate.server_context(),
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
        auth_require_tls=True,
    )
    extra = {"ca_file": certificate.cert.name} if trust == "ca_file" else {"tls_verify": False}
    email = notifier(
        port,
        base_dir=certificate.cert.parent,
        security="starttls",
        **credentials,
        **extra,
    )
    assert email.broken() is None
    email.send(samples.notice())
    assert len(inbox.received) == 1


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_implicit_tls(serve: Serve, certificate: Certificate, credentials: dict[str, str]) -> None:
    inbox, port = serve(
        ssl_context=certificate.server_context(),
        authenticator=authenticator,
        auth_required=True,
        auth_require_tls=False,  # aiosmtpd does not see that implicit TLS is TLS
    )
    notifier(port, security="ssl", ca_file=certificate.cert, **credentials).send(samples.digest())
    _, mail = inbox.only()
    assert mail["Message-ID"] == mime.message_id(samples.digest().key)


def test_untrusted_certificate_is_retried_and_says_so(
    serve: Serve, certificate: Certificate
) -> None:
    _, port = serve(tls_context=certificate.server_context(), require_starttls=True)
    with pytest.raises(NotifyError, match="sertifikat TLS") as caught:
        notifier(port, security="starttls").send(samples.notice())
    assert not caught.value.permanent


# -- failures -------------------------------------------------------------------------------


def test_wrong_password_is_permanent_and_not_revealed(
    serve: Serve, certificate: Certificate, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = "sandi-salah-jangan-bocor"
    monkeypatch.setenv(USER_ENV, USER)
    monkeypatch.setenv(PASSWORD_ENV, wrong)
    _, port = serve(
        tls_context=certificate.server_context(),
        authenticator=authenticator,
        auth_required=True,
    )
    email = notifier(
        port,
        security="starttls",
        ca_file=certificate.cert,
        username_env=USER_ENV,
        password_env=PASSWORD_ENV,
    )
    with pytest.raises(NotifyError) as caught:
        email.send(samples.notice())
    error = caught.value
    assert error.permanent
    assert "login ditolak (535" in str(error)
    assert PASSWORD_ENV in str(error)
    assert wrong not in str(error)
    assert error.__cause__ is None and error.__suppress_context__


def test_a_password_in_the_servers_answer_is_masked(
    serve: Serve, certificate: Certificate, credentials: dict[str, str]
) -> None:
    inbox = Inbox(data_answer=f"554 5.7.1 rejected: {PASSWORD}")
    _, port = serve(inbox, tls_context=certificate.server_context(), authenticator=authenticator)
    email = notifier(port, security="starttls", ca_file=certificate.cert, **credentials)
    with pytest.raises(NotifyError) as caught:
        email.send(samples.notice())
    assert PASSWORD not in str(caught.value)
    assert "rejected: ***" in str(caught.value)


def test_missing_credentials_are_broken(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(USER_ENV, raising=False)
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    email = notifier(1, security="starttls", username_env=USER_ENV, password_env=PASSWORD_ENV)
    assert email.broken() == (
        f"email 'kantor' (127.0.0.1:1): variabel lingkungan {USER_ENV} kosong atau tidak ada"
    )
    with pytest.raises(NotifyError, match=USER_ENV) as caught:
        email.send(samples.notice())
    assert caught.value.permanent


def test_missing_ca_file_is_broken(tmp_path: Path) -> None:
    email = notifier(1, base_dir=tmp_path, security="starttls", ca_file="ca.pem")
    assert (
        email.broken() == f"email 'kantor' (127.0.0.1:1): ca_file {tmp_path / 'ca.pem'} tidak ada"
    )


OTHER = "lain@sukamaju.go.id"


@pytest.mark.parametrize(
    ("inbox", "permanent", "says"),
    [
        pytest.param(
            Inbox(rcpt_answers={"pengawas@sukamaju.go.id": "550 5.1.1 No such user"}),
            True,
            "semua penerima ditolak (pengawas@sukamaju.go.id: 550 5.1.1 No such user)",
            id="recipient-unknown-550",
        ),
        pytest.param(
            Inbox(rcpt_answers={"pengawas@sukamaju.go.id": "450 4.2.1 Mailbox busy"}),
            False,
            "450 4.2.1 Mailbox busy",
            id="recipient-busy-450",
        ),
        pytest.param(
            Inbox(data_answer="451 4.3.0 Try again later"),
            False,
            "server menjawab 451 4.3.0 Try again later",
            id="data-451",
        ),
        pytest.param(
            Inbox(data_answer="554 5.6.0 Message refused"),
            True,
            "server menjawab 554 5.6.0 Message refused",
            id="data-554",
        ),
    ],
)
def test_server_refusals(serve: Serve, inbox: Inbox, permanent: bool, says: str) -> None:
    _, port = serve(inbox)
    with pytest.raises(NotifyError) as caught:
        notifier(port).send(samples.notice())
    assert caught.value.permanent is permanent
    assert says in str(caught.value)
    assert str(caught.value).startswith(f"email 'kantor' (127.0.0.1:{port}): ")


def test_one_refused_recipient_does_not_hold_back_the_others(serve: Serve) -> None:
    inbox, port = serve(Inbox(rcpt_answers={OTHER: "550 5.1.1 No such user"}))
    notifier(port, cc=[OTHER]).send(samples.notice())  # no error: a retry would send twice
    envelope, _ = inbox.only()
    assert envelope.rcpt_tos == ["pengawas@sukamaju.go.id"]


def test_server_down_is_retried() -> None:
    port = closed_port()
    with pytest.raises(NotifyError, match="tidak bisa tersambung") as caught:
        notifier(port).send(samples.notice())
    assert not caught.value.permanent


def test_silent_server_times_out_and_is_retried() -> None:
    with socket.socket() as listener:  # accepts connections, never says hello
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with pytest.raises(NotifyError, match=r"tidak menjawab dalam 0\.2 detik") as caught:
            notifier(port, timeout=0.2).send(samples.notice())
    assert not caught.value.permanent


def test_starttls_required_but_not_offered(serve: Serve) -> None:
    _, port = serve()
    with pytest.raises(NotifyError, match="tidak menawarkan STARTTLS") as caught:
        notifier(port, security="starttls").send(samples.notice())
    assert caught.value.permanent
