"""The commands of Casetrack (docs/api.md): the write side's application service.

One module per aggregate's commands, each a mixin of keyword-only command methods over the
plumbing in :mod:`domain.services.base`; :class:`Casetrack` composes them. Side aggregates
are created in the same commit: the fee on acceptance, the licence on approval, the fine
when a violation is recorded, the cancel or refund when a violation is annulled or a case
withdrawn.
"""

from __future__ import annotations

from domain.services.base import Outcome
from domain.services.cases import CaseCommands
from domain.services.catalogue import CatalogueCommands
from domain.services.licences import LicenceCommands
from domain.services.payments import PaymentCommands
from domain.services.privacy import PrivacyCommands
from domain.services.violations import ViolationCommands


class Casetrack(
    CatalogueCommands,
    CaseCommands,
    PaymentCommands,
    ViolationCommands,
    LicenceCommands,
    PrivacyCommands,
):
    """The application service of the write side."""


__all__ = ["Casetrack", "Outcome"]
