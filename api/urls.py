from django.urls import path
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

# Probes live at the root, outside the versioned API and its docs.
ops = NinjaAPI(renderer=ORJSONRenderer(), urls_namespace="ops", docs_url=None, openapi_url=None)
ops.add_router("", health.router)

urlpatterns = [
    path("api/v1/", api.urls),
    path("", ops.urls),
]
