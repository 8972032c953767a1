"""E-mail over SMTP (stdlib `smtplib`): the local stack's mail server, the province's relay
in production (`CASETRACK_SMTP_URL`, `smtp://` or `smtps://`, with `user:password@` when the
relay asks).

Every message carries a Message-ID made from its delivery (`<notification.email@casetrack>`),
the same at every attempt: reconciliation looks for it, and a receiving server that keeps
it can drop a duplicate. A 4xx answer, a refused or dropped connection or a timeout is a
temporary failure; a 5xx is permanent.

`find` tells whether a message reached the mailbox, when the mailbox can be read: the local
server's Maildir (`CASETRACK_SMTP_MAILDIR`). A relay cannot be asked, so there `find`
answers None (cannot tell) and an `unknown` send stays for an operator.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from urllib.parse import unquote, urlsplit

from consumers.notify.outcome import PERMANENT, SENT, TEMPORARY, SendResult


class EmailChannel:
    def __init__(
        self, url: str, *, sender: str, timeout_s: float = 30.0, maildir: str | None = None
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("CASETRACK_SMTP_URL must be smtp://host:port or smtps://host:port")
        self.tls = parts.scheme == "smtps"
        self.host = parts.hostname
        self.port = parts.port or (465 if self.tls else 25)
        self.user = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.sender = sender
        self.timeout_s = timeout_s
        self.maildir = Path(maildir) if maildir else None

    def _connect(self) -> smtplib.SMTP:
        if self.tls:
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout_s, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout_s)
        if self.user:
            client.login(self.user, self.password or "")
        return client

    def send(
        self,
        *,
        to: str,
        subject: str,
        body: str,
        message_id: str,
        language: str = "zh-Hans",
        headers: dict[str, str] | None = None,
    ) -> SendResult:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message["Message-ID"] = message_id
        message["Date"] = formatdate(usegmt=True)
        for name, value in (headers or {}).items():
            message[name] = value
        message.set_content(body)  # (it replaces every Content-* header)
        message["Content-Language"] = language
        try:
            with self._connect() as client:
                client.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            code = min(code for code, _ in exc.recipients.values())
            return self._refused(code, message_id)
        except smtplib.SMTPResponseException as exc:
            return self._refused(exc.smtp_code, message_id)
        except (smtplib.SMTPException, OSError) as exc:  # timeouts are OSErrors
            return SendResult(TEMPORARY, message_id, f"{type(exc).__name__}")
        return SendResult(SENT, message_id)

    @staticmethod
    def _refused(code: int, message_id: str) -> SendResult:
        status = PERMANENT if 500 <= code < 600 else TEMPORARY
        return SendResult(status, message_id, f"smtp {code}")

    def find(self, message_id: str) -> bool | None:
        """Whether the mailbox holds the message; None when it cannot be read."""
        if self.maildir is None:
            return None
        needle = f"Message-ID: {message_id}".encode().lower()
        for folder in ("new", "cur"):
            for path in (self.maildir / folder).glob("*"):
                try:
                    head = path.read_bytes().split(b"\n\n", 1)[0].replace(b"\r", b"")
                except FileNotFoundError:
                    continue
                if needle in head.lower():
                    return True
        return False
