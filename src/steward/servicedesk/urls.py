"""Service-desk pages (staff and portal)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
