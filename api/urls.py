from django.urls import path
from ninja import NinjaAPI

from api import health
from api.renderers import ORJSONRenderer

api = NinjaAPI(
    title="Casetrack API",
    version="1",
    description="Unified government services: applications, payments, decisions, licences.",
    renderer=ORJSONRenderer(),
    urls_namespace="api-v1",
)

# Probes live at the root, outside the versioned API and its docs.
ops = NinjaAPI(renderer=ORJSONRenderer(), urls_namespace="ops", docs_url=None, openapi_url=None)
ops.add_router("", health.router)

urlpatterns = [
    path("api/v1/", api.urls),
    path("", ops.urls),
]
