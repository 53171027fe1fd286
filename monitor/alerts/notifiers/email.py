"""E-mail over SMTP (standard library ``smtplib``): the digest as HTML with a plain-text
alternative and the CSV attached, notices as short mails.

Security is STARTTLS on port 587 by default, or implicit TLS (``ssl``, port 465), or none
(a relay on the same machine, port 25). The user name and the password are read from the
environment variables the settings name, at send time; a password is never sent without
TLS. What the server answers decides whether the outbox tries again: a refused
connection, a timeout or a 4xx answer is retried; a 5xx answer (an unknown recipient, a
refused login) is permanent.
"""

from __future__ import annotations

import base64
import os
import smtplib
import ssl
from pathlib import Path
from typing import ClassVar, Literal

from loguru import logger
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from monitor.alerts.notifiers import mime
from monitor.alerts.notifiers.base import Message, Notifier, redact
from monitor.errors import NotifyError

DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}


class EmailSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    #: The SMTP server.
    host: str = Field(min_length=1)
    #: Its port; by default 587 for starttls, 465 for ssl, 25 for none.
    port: int | None = Field(default=None, ge=1, le=65535)
    #: starttls: plain connection upgraded to TLS (the usual port 587); ssl: TLS from the
    #: first byte (port 465); none: no encryption (only a relay on this machine).
    security: Literal["starttls", "ssl", "none"] = "starttls"
    #: Environment variables that hold the SMTP user name and password (both or neither).
    username_env: str | None = Field(default=None, min_length=1)
    password_env: str | None = Field(default=None, min_length=1)
    #: From: ``monitor@bawaslu-sukamaju.go.id`` or ``Monitor ASN <monitor@...>``.
    sender: str
    to: list[str] = Field(min_length=1)
    cc: list[str] = Field(default_factory=list)
    #: Recipients that do not appear in the headers.
    bcc: list[str] = Field(default_factory=list)
    #: Seconds for connecting and for each answer of the server.
    timeout: float = Field(default=30.0, gt=0)
    subject_prefix: str = mime.DEFAULT_SUBJECT_PREFIX
    #: Check the server's certificate (turn off only for a test server).
    tls_verify: bool = True
    #: A CA bundle to trust instead of the system's (relative to the configuration folder).
    ca_file: Path | None = None

    @field_validator("sender")
    @classmethod
    def _sender(cls, value: str) -> str:
        return mime.check_address(value)

    @field_validator("to", "cc", "bcc")
    @classmethod
    def _recipients(cls, value: list[str]) -> list[str]:
        return [mime.check_address(v) for v in value]

    @model_validator(mode="after")
    def _credentials(self) -> EmailSettings:
        if (self.username_env is None) != (self.password_env is None):
            raise ValueError(
                "username_env dan password_env harus diisi keduanya atau tidak sama sekali"
            )
        if self.username_env is not None and self.security == "none":
            raise ValueError("kata sandi tidak dikirim tanpa TLS: pakai security starttls atau ssl")
        return self

    @property
    def effective_port(self) -> int:
        return self.port if self.port is not None else DEFAULT_PORTS[self.security]


def _code_error(where: str, code: int, text: str) -> NotifyError:
    """A server answer: 5xx is permanent, anything else may pass on a later try."""
    return NotifyError(f"{where}: server menjawab {code} {text}", permanent=code >= 500)


def _secret_forms(credentials: tuple[str, str] | None) -> tuple[str, ...]:
    """The password as it could come back in a server's answer: plain, and base64 as
    AUTH PLAIN and AUTH LOGIN send it."""
    if credentials is None:
        return ()
    user, password = credentials
    plain = base64.b64encode(f"\0{user}\0{password}".encode()).decode("ascii")
    return password, base64.b64encode(password.encode()).decode("ascii"), plain


def _answer(value: bytes | str) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    return " ".join(text.split())[:300]


class EmailNotifier(Notifier):
    name: ClassVar[str] = "email"
    summary: ClassVar[str] = "e-mail lewat SMTP (STARTTLS/SSL): ringkasan HTML + teks, lampiran"
    Settings: ClassVar[type[BaseModel]] = EmailSettings

    def __init__(self, settings: BaseModel, *, instance: str, base_dir: Path) -> None:
        super().__init__(settings, instance=instance, base_dir=base_dir)
        assert isinstance(settings, EmailSettings)
        self.config = settings

    @property
    def where(self) -> str:
        return f"email {self.instance!r} ({self.config.host}:{self.config.effective_port})"

    def _ca_file(self) -> Path | None:
        if self.config.ca_file is None:
            return None
        path = self.config.ca_file
        return path if path.is_absolute() else self.base_dir / path

    def broken(self) -> str | None:
        for env in (self.config.username_env, self.config.password_env):
            if env is not None and not os.environ.get(env):
                return f"{self.where}: variabel lingkungan {env} kosong atau tidak ada"
        ca_file = self._ca_file()
        if ca_file is not None and not ca_file.is_file():
            return f"{self.where}: ca_file {ca_file} tidak ada"
        return None

    def _credentials(self) -> tuple[str, str] | None:
        if self.config.username_env is None or self.config.password_env is None:
            return None
        user = os.environ.get(self.config.username_env, "")
        password = os.environ.get(self.config.password_env, "")
        for env, value in ((self.config.username_env, user), (self.config.password_env, password)):
            if not value:
                raise NotifyError(
                    f"{self.where}: variabel lingkungan {env} kosong atau tidak ada",
                    permanent=True,
                )
        return user, password

    def _tls_context(self) -> ssl.SSLContext:
        ca_file = self._ca_file()
        context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
        if not self.config.tls_verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def send(self, message: Message) -> None:
        config = self.config
        credentials = self._credentials()
        secrets = _secret_forms(credentials)
        recipients = [mime.envelope_address(a) for a in (*config.to, *config.cc, *config.bcc)]
        document = mime.build(
            message,
            sender=config.sender,
            to=config.to,
            cc=config.cc,
            subject_prefix=config.subject_prefix,
        ).as_bytes()
        try:
            refused = self._deliver(document, recipients, credentials)
        except NotifyError as exc:
            raise NotifyError(
                redact(str(exc), *secrets), retry_after=exc.retry_after, permanent=exc.permanent
            ) from None
        if refused:
            # the others got it: trying again would send it to them twice
            logger.warning(
                "email {}: message {} refused for {}",
                self.instance,
                message.key,
                ", ".join(f"{addr} ({code})" for addr, (code, _) in sorted(refused.items())),
            )
        logger.debug(
            "email {}: sent {} to {} recipients", self.instance, message.key, len(recipients)
        )

    def _deliver(
        self, document: bytes, recipients: list[str], credentials: tuple[str, str] | None
    ) -> dict[str, tuple[int, bytes]]:
        config = self.config
        where = self.where
        try:
            smtp = self._connect()
            try:
                if credentials is not None:
                    smtp.login(*credentials)
                return smtp.sendmail(mime.envelope_address(config.sender), recipients, document)
            finally:
                try:
                    smtp.quit()
                except (smtplib.SMTPException, OSError):
                    smtp.close()
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            answers = "; ".join(
                f"{addr}: {code} {_answer(text)}" for addr, (code, text) in exc.recipients.items()
            )
            raise NotifyError(
                f"{where}: semua penerima ditolak ({answers})",
                permanent=all(code >= 500 for code in codes),
            ) from None
        except smtplib.SMTPAuthenticationError as exc:
            raise NotifyError(
                f"{where}: login ditolak ({exc.smtp_code} {_answer(exc.smtp_error)}); "
                f"periksa {config.username_env} dan {config.password_env}",
                permanent=exc.smtp_code >= 500,
            ) from None
        except smtplib.SMTPNotSupportedError as exc:
            if "STARTTLS" in str(exc):
                reason = "server tidak menawarkan STARTTLS; periksa security dan port"
            else:
                reason = (
                    "server tidak menawarkan login (AUTH); periksa security, atau kosongkan "
                    "username_env dan password_env"
                )
            raise NotifyError(f"{where}: {reason}", permanent=True) from None
        except smtplib.SMTPServerDisconnected as exc:
            if isinstance(exc.__context__, TimeoutError):
                raise NotifyError(
                    f"{where}: server tidak menjawab dalam {config.timeout:g} detik"
                ) from None
            raise NotifyError(f"{where}: sambungan terputus ({exc})") from None
        except smtplib.SMTPResponseException as exc:
            raise _code_error(where, exc.smtp_code, _answer(exc.smtp_error)) from None
        except smtplib.SMTPException as exc:
            # e.g. "No suitable authentication method found": a setting, not the weather
            raise NotifyError(f"{where}: {exc}", permanent=True) from None
        except ssl.SSLCertVerificationError as exc:
            raise NotifyError(
                f"{where}: sertifikat TLS server ditolak ({exc.verify_message}); "
                "periksa host, ca_file atau tls_verify"
            ) from None
        except TimeoutError:
            raise NotifyError(
                f"{where}: server tidak menjawab dalam {config.timeout:g} detik"
            ) from None
        except OSError as exc:
            reason = exc.strerror or str(exc) or type(exc).__name__
            raise NotifyError(f"{where}: tidak bisa tersambung ({reason})") from None

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        port = config.effective_port
        if config.security == "ssl":
            return smtplib.SMTP_SSL(
                config.host, port, timeout=config.timeout, context=self._tls_context()
            )
        smtp = smtplib.SMTP(config.host, port, timeout=config.timeout)
        try:
            if config.security == "starttls":
                smtp.ehlo()
                smtp.starttls(context=self._tls_context())
                smtp.ehlo()
        except BaseException:
            smtp.close()
            raise
        return smtp
