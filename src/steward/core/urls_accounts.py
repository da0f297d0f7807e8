"""Sign-in, MFA, passwords and personal API tokens; each route is declared for the access harness."""

from django.urls import path

from steward.core.access import declare, public
from steward.core.views import accounts as views

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/verify/", views.mfa_verify, name="mfa_verify"),
    path("logout/", views.logout_view, name="logout"),
    path("account/", views.account, name="account"),
    path("account/mfa/setup/", views.mfa_setup, name="mfa_setup"),
    path("account/mfa/disable/", views.mfa_disable, name="mfa_disable"),
    path("account/mfa/recovery-codes/", views.mfa_recovery_codes, name="mfa_recovery_codes"),
    path("account/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("account/tokens/new/", views.token_create, name="token_create"),
    path("account/tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("password-reset/done/", views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]

public("login", "mfa_verify", note="signing in: password, then the second factor of a pending sign-in")
public(
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    note="password reset by e-mailed link; never says whether an address has an account",
)
declare("logout", "self", methods=("GET", "POST"), note="GET asks to confirm, POST signs out")
declare("account", "self", note="own profile, MFA status and API tokens")
declare("mfa_setup", "self", methods=("GET", "POST"), note="own authenticator enrolment")
declare("mfa_disable", "self", methods=("GET", "POST"), note="needs the current password")
declare("mfa_recovery_codes", "self", methods=("GET", "POST"), note="needs the current password; shown once")
declare("password_change", "self", methods=("GET", "POST"))
declare(
    "token_create",
    "create",
    methods=("GET", "POST"),
    create_fields={"clients": "core.client"},
    note="own token; the client subset must stay inside the owner's scope",
)
declare(
    "token_revoke", "object", model="core.apitoken", methods=("POST",), note="own tokens only; others 404"
)
