from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from steward.core.scoping import Scope
from steward.web.navigation import NAV


def request_scope(request: HttpRequest) -> Scope | None:
    """The signed-in user's scope, built once per request."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    cached = getattr(request, "_steward_scope", None)
    if cached is None:
        cached = Scope.for_user(user)
        request._steward_scope = cached  # type: ignore[attr-defined]
    return cached


def navigation(request: HttpRequest) -> dict[str, Any]:
    scope = request_scope(request)
    if scope is None:
        return {"nav_sections": []}
    audience = "provider" if request.user.is_provider_staff else "client"  # type: ignore[union-attr]
    sections: dict[str, list[dict[str, Any]]] = {}
    for item in NAV:
        if item.audience not in ("all", audience) or not scope.can(item.permission):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue  # module not installed or route not built yet
        sections.setdefault(item.section, []).append(
            {
                "label": item.label,
                "url": url,
                "icon": item.icon,
                "active": request.path.startswith(url) and url != "/",
            }
        )
    return {"nav_sections": list(sections.items()), "scope": scope}
