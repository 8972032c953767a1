from django.urls import include, path
from ninja import NinjaAPI

from api import health, metrics, problems
from api.auth import BearerAuth
from api.config import get_config
from api.renderers import ORJSONRenderer
from api.routers import (
    analytics,
    audit,
    cases,
    catalog,
    dev,
    licences,
    me,
    ops,
    payments,
    privacy,
    search,
    violations,
)

api = NinjaAPI(
    title="Casetrack API",
    version="1",
    description="Unified government services: applications, payments, decisions, licences.",
    renderer=ORJSONRenderer(),
    auth=BearerAuth(),
    urls_namespace="api-v1",
)
problems.install(api)

# One router per resource. Cases sit at the root: they serve `/cases/...` and the clerk's
# `/worklist`.
api.add_router("/catalog", catalog.router)
api.add_router("", cases.router)
api.add_router("/payments", payments.router)
api.add_router("/violations", violations.router)
api.add_router("/licences", licences.router)
api.add_router("/search", search.router)
api.add_router("/me", me.router)
api.add_router("/audit", audit.router)
api.add_router("/analytics", analytics.router)
api.add_router("/ops", ops.router)
api.add_router("/erasures", privacy.router)
# Development helpers are not mounted in production: 404 before authentication or validation.
if not get_config().is_production:
    api.add_router("/dev", dev.router)

# Probes live at the root, outside the versioned API and its docs. A scrape token that is set
# but too short stops the process here, at start (api/metrics.py).
metrics.scrape_token()
probes = NinjaAPI(renderer=ORJSONRenderer(), urls_namespace="ops", docs_url=None, openapi_url=None)
probes.add_router("", health.router)

urlpatterns = [
    path("api/v1/", api.urls),
    # The portal's pages; none shares a path with the API or the probes, and the probes' API
    # would answer `/` itself with a 404 if it came first.
    path("", include("api.portal.urls")),
    path("", probes.urls),
]
