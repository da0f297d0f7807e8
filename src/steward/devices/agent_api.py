"""The agent-facing API at /api/agent/v1/ (enroll, check-in, inventory)."""

from ninja import NinjaAPI

from steward.core.access import public

agent_api = NinjaAPI(
    title="Steward agent API",
    version="agent-1",
    urls_namespace="agent-api",
    docs_url=None,
    openapi_url="/openapi.json",
)

public("agent-api:openapi-json", "agent-api:api-root", note="the agent protocol's schema")
