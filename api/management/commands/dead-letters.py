# `python manage.py dead-letters ...`, the spelling the runbook uses.
from api.management.commands.dead_letters import Command  # noqa: F401
