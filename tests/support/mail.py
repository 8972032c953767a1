"""A real mail server of the test's own: the local stack's (aiosmtpd with the Maildir handler
of docker/local/smtp/) on a free port, its Maildir in a temporary directory. Reading it back:
one message per file, as the server kept it."""

from __future__ import annotations

import email
import email.policy
import os
import smtplib
import socket
import subprocess
import sys
from collections import Counter
from pathlib import Path

from tests.support.stack import ROOT, wait_until


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MailServer:
    def __init__(self, maildir: Path) -> None:
        self.maildir = maildir
        self.port = free_port()
        self.url = f"smtp://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> MailServer:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "aiosmtpd",
                "-n",
                "-u",
                "-l",
                f"127.0.0.1:{self.port}",
                "-c",
                "casetrack_mailbox.LocalMailbox",
                str(self.maildir),
            ],
            env={**os.environ, "PYTHONPATH": str(ROOT / "docker" / "local" / "smtp")},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self._ready, timeout_s=20, what="the mail server")
        return self

    def _ready(self) -> bool:
        try:
            with smtplib.SMTP("127.0.0.1", self.port, timeout=2) as client:
                client.noop()
            return True
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def messages(self) -> list[email.message.EmailMessage]:
        found = []
        for folder in ("new", "cur"):
            for path in sorted((self.maildir / folder).glob("*")):
                found.append(
                    email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
                )
        return found

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages() if m["To"] == address]

    def message_ids(self) -> Counter:
        return Counter(m["Message-ID"] for m in self.messages())
