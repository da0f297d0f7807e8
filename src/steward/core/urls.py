from django.urls import include, path

urlpatterns = [
    path("", include("steward.core.urls_accounts")),
    path("", include("steward.core.urls_tenancy")),
]
