"""The REST API at /api/v1/: one NinjaAPI, each domain adds its router in ``register_routers``."""

from __future__ import annotations

from ninja import NinjaAPI

api = NinjaAPI(
    title="Steward API",
    version="1",
    description="REST API of Steward. Authenticate with `Authorization: Bearer <personal API token>`.",
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
