from django.urls import include, path

from steward.api import api
from steward.devices.agent_api import agent_api

urlpatterns = [
    # First: agents call it thousands of times a second, so resolve it without walking the rest.
    path("api/agent/v1/", agent_api.urls),
    path("", include("steward.web.urls")),
    path("", include("steward.core.urls")),
    path("", include("steward.devices.urls")),
    path("", include("steward.servicedesk.urls")),
    path("", include("steward.servicedesk.kb_urls")),
    path("", include("steward.servicedesk.setup_urls")),
    path("api/v1/", api.urls),
]

handler400 = "steward.web.views.bad_request"
handler403 = "steward.web.views.permission_denied"
handler404 = "steward.web.views.page_not_found"
handler500 = "steward.web.views.server_error"
