"""The local mail server's handler: aiosmtpd's Maildir handler, with simulated failures.

Every accepted message is kept as one file in the Maildir given on the command line (its
headers as sent, `To` included). Like GOV.UK Notify's simulated addresses and numbers, a
few recipients answer a failure instead, so the failure paths run against the real server:

    permanent-failure@...   and 13800000550@sms.localhost   550 (permanent)
    temporary-failure@...   and 13800000451@sms.localhost   451 (temporary)

    python -m aiosmtpd -n -l 127.0.0.1:11025 -c casetrack_mailbox.LocalMailbox var/mail
"""

from __future__ import annotations

from pathlib import Path

from aiosmtpd.handlers import Mailbox

PERMANENT = ("permanent-failure", "13800000550")
TEMPORARY = ("temporary-failure", "13800000451")


class LocalMailbox(Mailbox):
    def __init__(self, mail_dir, message_class=None):
        for folder in ("tmp", "new", "cur"):  # the Maildir, also inside an existing directory
            (Path(mail_dir) / folder).mkdir(parents=True, exist_ok=True)
        super().__init__(mail_dir, message_class)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local in PERMANENT:
            return "550 5.1.1 simulated permanent failure: no such mailbox"
        if local in TEMPORARY:
            return "451 4.3.0 simulated temporary failure: try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"
