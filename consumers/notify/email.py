"""E-mail over SMTP (stdlib `smtplib`): the local stack's mail server, the province's relay
in production (`CASETRACK_SMTP_URL`, `smtp://` or `smtps://`, with `user:password@` when the
relay asks).

Every message carries a Message-ID made from its delivery (`<notification.email@casetrack>`),
the same at every attempt: reconciliation looks for it, and a receiving server that keeps
it can drop a duplicate. Before the message's data is sent, a 4xx answer, a refused or
dropped connection or a timeout is a temporary failure and a 5xx permanent; once its data is
on the way, a lost connection or timeout leaves it `unknown` (the server may have taken it).
One connection is kept for consecutive sends.

`find` tells whether a message reached the mailbox, when the mailbox can be read: the local
server's Maildir (`CASETRACK_SMTP_MAILDIR`). A relay cannot be asked, so there `find`
answers None (cannot tell) and an `unknown` send stays for an operator.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, parseaddr
from pathlib import Path
from urllib.parse import unquote, urlsplit

from consumers.notify.outcome import PERMANENT, SENT, TEMPORARY, UNKNOWN, SendResult


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
        self._kept: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        if self.tls:
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout_s, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout_s)
        client.ehlo_or_helo_if_needed()
        if self.user:
            client.login(self.user, self.password or "")
        return client

    def _client(self) -> smtplib.SMTP:
        """The kept connection if it still answers, else a new one (one connection serves a
        dispatcher's sends: a connection per message cost more than the message)."""
        if self._kept is not None:
            try:
                if self._kept.noop()[0] == 250:
                    return self._kept
            except (smtplib.SMTPException, OSError):
                pass
            self.close()
        self._kept = self._connect()
        return self._kept

    def close(self) -> None:
        kept, self._kept = self._kept, None
        if kept is not None:
            try:
                kept.quit()
            except (smtplib.SMTPException, OSError):
                kept.close()

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
        """One message. Failures before the message's data is sent are temporary (4xx, the
        connection) or permanent (5xx); a failure while it is sent or its answer awaited is
        `unknown`: the server may have taken it, so it is reconciled, not sent again."""
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
            client = self._client()
            code, answer = client.mail(parseaddr(self.sender)[1])
            if code != 250:
                client.rset()
                return self._refused(code, message_id)
            code, answer = client.rcpt(to)
            if code not in (250, 251):
                client.rset()
                return self._refused(code, message_id)
        except smtplib.SMTPResponseException as exc:
            self.close()
            return self._refused(exc.smtp_code, message_id)
        except (smtplib.SMTPException, OSError) as exc:  # timeouts are OSErrors
            self.close()
            return SendResult(TEMPORARY, message_id, type(exc).__name__)
        try:
            code, answer = client.data(message.as_bytes(policy=SMTP))
        except smtplib.SMTPResponseException as exc:  # DATA itself refused: nothing was sent
            client.rset()
            return self._refused(exc.smtp_code, message_id)
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            return SendResult(UNKNOWN, message_id, type(exc).__name__)
        if code != 250:
            return self._refused(code, message_id)
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
