"""The portal's pages, mounted at `/` after the API and the probes."""

from django.urls import include, path, re_path

from api.portal import dev, views

urlpatterns = [
    path("", views.search, name="portal-search"),
    path("items", views.items, name="portal-items"),
    path("items/<str:code>", views.item, name="portal-item"),
    path("items/<str:code>/apply", views.apply, name="portal-apply"),
    path("cases/<str:case_ref>", views.case, name="portal-case"),
    path("work", views.work, name="portal-work"),
    path("work/cases/<str:case_ref>", views.work_case, name="portal-work-case"),
    path("me", views.me, name="portal-me"),
    path("notifications", views.notifications, name="portal-notifications"),
    path("verify", views.verify, name="portal-verify"),
    path("verify/<str:licence_number>", views.verify, name="portal-verify-number"),
    path("audit", views.audit, name="portal-audit"),
    path("audit/<str:aggregate_id>", views.audit, name="portal-audit-stream"),
    path("dashboard", views.dashboard, name="portal-dashboard"),
    path("signin", views.signin, name="portal-signin"),
    path("portal/dev/people", dev.people, name="portal-dev-people"),
    path("i18n/", include("django.conf.urls.i18n")),
    re_path(r"^static/(?P<path>.+)$", views.static_file, name="portal-static"),
]
