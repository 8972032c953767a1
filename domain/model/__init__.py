"""Aggregates of Casetrack, one module each; events subclass ``base.DomainEvent``."""

from domain.model.base import CasetrackAggregate, DomainEvent
from domain.model.case import Case
from domain.model.licence import Licence
from domain.model.party import Party, credit_record
from domain.model.payment import Payment
from domain.model.service_item import ServiceItem
from domain.model.violation import Violation

__all__ = [
    "Case",
    "CasetrackAggregate",
    "DomainEvent",
    "Licence",
    "Party",
    "Payment",
    "ServiceItem",
    "Violation",
    "credit_record",
]
