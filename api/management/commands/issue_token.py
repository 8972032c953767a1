from django.core.management.base import BaseCommand, CommandError

from api.auth import ROLES, check_dev_subject, dev_subject, issue_dev_token


class Command(BaseCommand):
    help = "Print a development token (HS256) for the server that `make run` starts; the token is the last line."

    def add_arguments(self, parser):
        parser.add_argument("--role", required=True, choices=ROLES)
        parser.add_argument(
            "--sub",
            default=None,
            help="subject; defaults to '<role>-demo' (citizens: an opaque id per party)",
        )
        parser.add_argument("--party-id")
        parser.add_argument("--department")
        parser.add_argument("--region-code")
        parser.add_argument("--ttl", type=int, default=8 * 3600, help="lifetime in seconds")

    def handle(self, *args, **opts):
        try:
            token = issue_dev_token(
                role=opts["role"],
                sub=check_dev_subject(opts["sub"] or dev_subject(opts["role"], opts["party_id"])),
                party_id=opts["party_id"],
                department=opts["department"],
                region_code=opts["region_code"],
                ttl_s=opts["ttl"],
            )
        except Exception as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(token)
