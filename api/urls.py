from django.urls import include, path
from ninja import NinjaAPI

from api import health, problems
from api.auth import BearerAuth, check_production_keys
from api.config import get_config
from api.renderers import ORJSONRenderer
from api.routers import dev

check_production_keys(get_config())

api = NinjaAPI(
    title="Casetrack API",
    version="1",
    description="Unified government services: applications, payments, decisions, licences.",
    renderer=ORJSONRenderer(),
    auth=BearerAuth(),
    urls_namespace="api-v1",
)
problems.install(api)
api.add_router("/dev", dev.router)

# commands
from api.routers import (
    case_commands,
    catalog_commands,
    licence_commands,
    payment_commands,
    violation_commands,
)  # noqa: E402
from api.routers.methods import one_view_per_path  # noqa: E402

api.add_router("/catalog", catalog_commands.router)
api.add_router("/cases", case_commands.router)
api.add_router("/payments", payment_commands.router)
api.add_router("/dev", payment_commands.dev_router)
api.add_router("/violations", violation_commands.router)
api.add_router("/licences", licence_commands.router)
# end of commands

# queries
from api.routers import analytics, audit, case_queries, catalog_queries, licence_queries, me, search  # noqa: E402
from api.routers import ops as ops_queries  # noqa: E402

api.add_router("", search.router)
api.add_router("", case_queries.router)
api.add_router("", catalog_queries.router)
api.add_router("", licence_queries.router)
api.add_router("/me", me.router)
api.add_router("/audit", audit.router)
api.add_router("/analytics", analytics.router)
api.add_router("/ops", ops_queries.router)
# end of queries

# Probes live at the root, outside the versioned API and its docs.
ops = NinjaAPI(renderer=ORJSONRenderer(), urls_namespace="ops", docs_url=None, openapi_url=None)
ops.add_router("", health.router)

urlpatterns = [
    # Query and command routers share paths (GET and PUT of /catalog/items/{code}): one view per path.
    path("api/v1/", one_view_per_path(api.urls)),
    # The portal's pages (issue 7); none shares a path with the API or the probes, and the
    # probes' API would answer `/` itself with a 404 if it came first.
    path("", include("api.portal.urls")),
    path("", ops.urls),
]
