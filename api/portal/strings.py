"""Words the page scripts show, translated on the server (Django i18n) and handed to the
scripts as JSON, so the portal has one catalogue (`locale/*/LC_MESSAGES/django.po`)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from domain.reference import DEPARTMENTS, DEPARTMENTS_EN


def js_strings() -> dict:
    return {
        "types": {
            "case": _("Applications"),
            "payment": _("Payments"),
            "licence": _("Licences"),
            "violation": _("Violations"),
            "item": _("Services"),
        },
        "status": {
            # cases
            "submitted": _("Submitted"),
            "materials_requested": _("Materials requested"),
            "accepted": _("Accepted"),
            "suspended": _("Suspended"),
            "approved": _("Approved"),
            "rejected": _("Rejected"),
            "refused": _("Not accepted"),
            "withdrawn": _("Withdrawn"),
            # payments
            "requested": _("Awaiting payment"),
            "settled": _("Paid"),
            "refunded": _("Refunded"),
            "partially_refunded": _("Partly refunded"),
            "cancelled": _("Cancelled"),
            # licences
            "active": _("Active"),
            "valid": _("Valid"),
            "expired": _("Expired"),
            "revoked": _("Revoked"),
            "unknown": _("Unknown"),
            # violations
            "recorded": _("Recorded"),
            "fine_requested": _("Fine requested"),
            "contested": _("Contested"),
            "resolved": _("Resolved"),
            # catalogue
            "published": _("Available"),
        },
        "steps": {
            "CaseSubmitted": _("Application submitted"),
            "CaseMaterialsRequested": _("Asked for more materials"),
            "CaseMaterialsSupplemented": _("Materials supplemented"),
            "CaseAccepted": _("Application accepted"),
            "CaseRefused": _("Refused to accept"),
            "CaseAssigned": _("Assigned to a clerk"),
            "CaseSuspended": _("Processing suspended"),
            "CaseResumed": _("Processing resumed"),
            "CaseExtended": _("Deadline extended"),
            "CaseTransferred": _("Transferred to another department"),
            "CasePaymentLinked": _("Payment requested"),
            "CaseDecided": _("Decision made"),
            "CaseWithdrawn": _("Application withdrawn"),
            "CaseRated": _("Service rated"),
            "CaseDestroyed": _("Case file destroyed (retention ended)"),
        },
        "roles": {
            "citizen": _("Applicant"),
            "clerk": _("Clerk"),
            "auditor": _("Auditor"),
            "analyst": _("Analyst"),
            "admin": _("Administrator"),
            "gateway": _("Payment gateway"),
            "finance": _("Finance office"),
            "public": _("Public"),
        },
        "kinds": {"fee": _("Fee"), "fine": _("Fine"), "charge": _("Charge")},
        # English names from domain/reference.py, translated like every label here; makemessages
        # does not see them, so their entries in django.po are kept by hand. A department
        # without an English name shows its Chinese one.
        "departments": {
            slug: _(DEPARTMENTS_EN[slug]) if slug in DEPARTMENTS_EN else name
            for slug, name in DEPARTMENTS.items()
        },
        "ui": {
            "loading": _("Loading…"),
            "no_results": _("Nothing found."),
            "found": _("%(n)s results"),
            "error": _("Something went wrong: %(detail)s"),
            "unreachable": _("The service cannot be reached. Try again shortly."),
            "expired_session": _("Your sign-in has expired. Please sign in again."),
            "not_found": _("No such record, or it is not yours to see."),
            "forbidden": _("Your role may not see this page."),
            "need_signin": _("Sign in to see this page."),
            "anonymous_hint": _(
                "Signed-in citizens also find their own applications, payments and licences here."
            ),
            "licence_check": _("Licence %(number)s"),
            "open": _("Open"),
            "view": _("View"),
            "pay": _("Pay %(amount)s"),
            "paying": _("Paying…"),
            "paid_ok": _("Payment received."),
            "due": _("due %(date)s"),
            "overdue": _("Overdue"),
            "past_promised": _("Past the promised date"),
            "on_time": _("On time"),
            "none": _("None"),
            "yes": _("Yes"),
            "no": _("No"),
            "signed_in_as": _("Signed in as %(who)s"),
            "good_standing": _("Good standing"),
            "not_good_standing": _("Needs attention"),
            "unpaid_fines": _("Unpaid overdue fines: %(count)s (%(amount)s)"),
            "revoked_licences": _("Revoked licences: %(count)s"),
            "payment_record": _("Payments on time: %(on_time)s of %(settled)s"),
            "chain_ok": _("Chain intact: %(checked)s events checked, no alteration found."),
            "chain_broken": _("Tampering detected: %(count)s event(s) fail verification."),
            "chain_broken_at": _("Version %(version)s of stream %(id)s"),
            "checkpoint_ok": _("Signed checkpoint verified."),
            "checkpoint_bad": _("Signed checkpoint does NOT match."),
            "state_at": _("State after version %(version)s"),
            "tampered_row": _("fails verification"),
            "events_total": _("%(n)s events"),
            "holder": _("Holder"),
            "valid_from": _("Valid from"),
            "valid_until": _("Valid until"),
            "no_expiry": _("No expiry"),
            "issued_by": _("Issued by"),
            "licence_state": {
                "valid": _("This licence is valid."),
                "expired": _("This licence has expired."),
                "suspended": _("This licence is suspended."),
                "revoked": _("This licence has been revoked."),
                "unknown": _("No licence with this number and verification code was found."),
            },
            "verification_code": _("Verification code"),
            "submitted_count": _("Submitted"),
            "decided_count": _("Decided"),
            "open_count": _("Open"),
            "overdue_count": _("Overdue"),
            "median_days": _("Median days"),
            "p90_days": _("90th percentile days"),
            "on_time_rate": _("On-time rate"),
            "avg_rating": _("Average rating"),
            "revenue": _("Net revenue (yuan)"),
            "cases_total": _("Cases"),
            "yuan": _("¥%(amount)s"),
            "rating": _("%(score)s / 5"),
            "applicant": _("Applicant"),
            "department": _("Department"),
            "channel": _("Channel"),
            "item": _("Service"),
            "sign_out": _("Sign out"),
            "close": _("Close"),
            "masked_note": _("Personal data is masked."),
            "pick_someone": _("Choose a demo person first."),
            "notes": {
                "payment_due": _("has a payment due"),
                "licence_revoked": _("has a revoked licence"),
                "licence_valid": _("holds a licence"),
                "recent_case": _("applied recently"),
            },
        },
    }
