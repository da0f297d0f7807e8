"""Sign-in (password, then a second factor), MFA enrolment, passwords and personal API tokens.

All the security decisions live in :mod:`steward.core.services.security`; these views turn
form input into calls to it and its answers into pages.
"""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from steward.core.forms.accounts import (
    CurrentPasswordForm,
    OneTimeCodeForm,
    SignInForm,
    StewardPasswordChangeForm,
    StewardPasswordResetForm,
    StewardSetPasswordForm,
    TokenCreateForm,
)
from steward.core.middleware import client_ip
from steward.core.models import ApiToken, MfaDevice, User
from steward.core.scoping import Scope
from steward.core.services import security
from steward.core.services.security import SignInOutcome, SignInResult

AUTH_BACKEND = "steward.core.auth.EmailBackend"
PENDING_KEY = "steward_mfa_pending"
PENDING_SECONDS = 5 * 60
MAX_CODE_ATTEMPTS = 5
REFUSED_STATUS = 429  # locked account or throttled address: the page, with Retry-After


def _current_user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _posted(request: HttpRequest) -> Any:
    """The submitted data on POST (even when empty, so the form reports what is missing)."""
    return request.POST if request.method == "POST" else None


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    """``candidate`` if it points back into Steward, else the home page."""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("home")


def _refused(
    request: HttpRequest, template: str, context: dict[str, Any], result: SignInResult
) -> HttpResponse:
    response = render(request, template, context, status=REFUSED_STATUS)
    response["Retry-After"] = str(max(1, result.retry_after))
    return response


# --- Sign in and out -------------------------------------------------------------------


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if request.user.is_authenticated and request.method == "GET":
        return redirect(_safe_next(request, next_url))
    form = SignInForm(_posted(request))
    context = {"form": form, "next": next_url if _safe_next(request, next_url) == next_url else ""}
    if request.method != "POST" or not form.is_valid():
        return render(request, "core/accounts/login.html", context)

    result = security.check_credentials(
        form.cleaned_data["email"], form.cleaned_data["password"], ip=client_ip(request)
    )
    if result.outcome in (SignInOutcome.ACCOUNT_LOCKED, SignInOutcome.ADDRESS_THROTTLED):
        form.add_error(None, result.message)
        return _refused(request, "core/accounts/login.html", context, result)
    if result.outcome is SignInOutcome.MFA_REQUIRED and result.user is not None:
        if request.user.is_authenticated:
            logout(request)  # someone else was signed in in this browser
        request.session.cycle_key()
        request.session[PENDING_KEY] = {
            "uid": result.user.pk,
            "at": timezone.now().timestamp(),
            "fails": 0,
            "next": _safe_next(request, next_url),
        }
        return redirect("mfa_verify")
    if result.outcome is SignInOutcome.OK and result.user is not None:
        return _complete_sign_in(request, result.user, "password", _safe_next(request, next_url))
    form.add_error(None, result.message or "That e-mail and password do not match an account.")
    return render(request, "core/accounts/login.html", context)


def _complete_sign_in(request: HttpRequest, user: User, method: str, next_url: str) -> HttpResponse:
    request.session.pop(PENDING_KEY, None)
    login(request, user, backend=AUTH_BACKEND)  # also gives the session a new key
    security.record_sign_in(user, method=method)
    return HttpResponseRedirect(next_url)


def _pending(request: HttpRequest) -> tuple[dict[str, Any], User] | None:
    """The half-finished sign-in in this session, or None if there is none (or it expired)."""
    state = request.session.get(PENDING_KEY)
    if not isinstance(state, dict):
        return None
    try:
        started = float(state["at"])
        uid = int(state["uid"])
    except (KeyError, TypeError, ValueError):
        request.session.pop(PENDING_KEY, None)
        return None
    if not 0 <= timezone.now().timestamp() - started <= PENDING_SECONDS:
        request.session.pop(PENDING_KEY, None)
        return None
    user = User.unscoped.filter(pk=uid, is_active=True).select_related("mfa_device").first()
    if user is None or user.is_locked or not user.has_mfa:
        request.session.pop(PENDING_KEY, None)
        return None
    return state, user


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def mfa_verify(request: HttpRequest) -> HttpResponse:
    pending = _pending(request)
    if pending is None:
        messages.info(request, "Your sign-in expired or was not started. Please sign in again.")
        return redirect("login")
    state, user = pending
    form = OneTimeCodeForm(_posted(request))
    context: dict[str, Any] = {"form": form, "email": user.email}
    if request.method != "POST" or not form.is_valid():
        return render(request, "core/accounts/mfa_verify.html", context)

    method = security.verify_second_factor(user, form.cleaned_data["code"])
    if method is not None:
        return _complete_sign_in(request, user, method, _safe_next(request, state.get("next")))

    fails = int(state.get("fails", 0)) + 1
    if fails >= MAX_CODE_ATTEMPTS:
        request.session.pop(PENDING_KEY, None)
        result = security.record_second_factor_failure(user, ip=client_ip(request))
        login_context = {
            "form": SignInForm(initial={"email": user.email}),
            "next": "",
            "error": result.message
            if result.outcome is SignInOutcome.ACCOUNT_LOCKED
            else "Too many wrong codes. Sign in again to get a new try.",
        }
        if result.outcome is SignInOutcome.ACCOUNT_LOCKED:
            return _refused(request, "core/accounts/login.html", login_context, result)
        return render(request, "core/accounts/login.html", login_context)
    state["fails"] = fails
    request.session[PENDING_KEY] = state
    left = MAX_CODE_ATTEMPTS - fails
    form.add_error("code", f"That code is not right. {left} attempt{'s' if left != 1 else ''} left.")
    return render(request, "core/accounts/mfa_verify.html", context)


@csrf_protect
@require_http_methods(["GET", "POST"])
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        logout(request)  # the user_logged_out signal records the audit entry
        messages.success(request, "You have signed out.")
        return redirect("login")
    if not request.user.is_authenticated:
        return redirect("login")
    return render(request, "core/accounts/logout.html", {"page_title": "Sign out"})


# --- Account and MFA -------------------------------------------------------------------


@login_required
@never_cache
def account(request: HttpRequest) -> HttpResponse:
    user = _current_user(request)
    scope = Scope.for_user(user)
    has_mfa = MfaDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()
    # A user's own tokens: filtered by owner (the tenant scope would hide a limited
    # technician's own tokens, whose owner has no client).
    tokens = (
        ApiToken.unscoped.filter(user=user).prefetch_related("clients").order_by("-created_at")
        if scope.can("tokens.use")
        else None
    )
    context = {
        "page_title": "Account & security",
        "profile_user": user,
        "has_mfa": has_mfa,
        "must_use_mfa": user.must_use_mfa(),
        "recovery_left": security.remaining_recovery_codes(user) if has_mfa else None,
        "recovery_total": security.RECOVERY_CODE_COUNT,
        "tokens": tokens,
        "can_use_tokens": scope.can("tokens.use"),
    }
    return render(request, "core/accounts/account.html", context)


def _format_secret(device: MfaDevice) -> str:
    seed = security.totp_for(device).secret
    return " ".join(seed[i : i + 4] for i in range(0, len(seed), 4))


@sensitive_post_parameters("code")
@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def mfa_setup(request: HttpRequest) -> HttpResponse:
    user = _current_user(request)
    if MfaDevice.objects.filter(user=user, confirmed_at__isnull=False).exists():
        messages.info(request, "Two-factor authentication is already on for your account.")
        return redirect("account")
    form = OneTimeCodeForm(_posted(request), numeric_only=True)
    if request.method == "POST" and form.is_valid():
        codes = security.confirm_mfa_enrolment(user, form.cleaned_data["code"])
        if codes is not None:
            return render(
                request,
                "core/accounts/recovery_codes.html",
                {"page_title": "Recovery codes", "codes": codes, "just_enrolled": True},
            )
        form.add_error(
            "code",
            "That code did not match. Check that your device's clock is right and enter the newest code.",
        )
    # Keep the secret already shown (the user may have scanned it) until it is confirmed.
    device = security.pending_mfa_device(user) or security.begin_mfa_enrolment(user)
    context = {
        "page_title": "Set up two-factor authentication",
        "form": form,
        # The SVG is built by segno from our own otpauth:// URI: trusted server output.
        "qr_svg": mark_safe(security.provisioning_qr_svg(device)),
        "secret": _format_secret(device),
        "required": user.must_use_mfa(),
    }
    return render(request, "core/accounts/mfa_setup.html", context)


@sensitive_post_parameters("password")
@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def mfa_disable(request: HttpRequest) -> HttpResponse:
    user = _current_user(request)
    if not MfaDevice.objects.filter(user=user, confirmed_at__isnull=False).exists():
        messages.info(request, "Two-factor authentication is not on for your account.")
        return redirect("account")
    form = CurrentPasswordForm(user, _posted(request))
    if request.method == "POST" and form.is_valid():
        security.disable_mfa(user, by=user)
        if user.must_use_mfa():
            messages.warning(
                request,
                "Two-factor authentication is off. Your organisation requires it: set it up again now.",
            )
        else:
            messages.success(request, "Two-factor authentication is off.")
        return redirect("account")
    return render(
        request,
        "core/accounts/mfa_disable.html",
        {"page_title": "Turn off two-factor authentication", "form": form, "required": user.must_use_mfa()},
    )


@sensitive_post_parameters("password")
@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def mfa_recovery_codes(request: HttpRequest) -> HttpResponse:
    user = _current_user(request)
    if not MfaDevice.objects.filter(user=user, confirmed_at__isnull=False).exists():
        messages.info(request, "Set up two-factor authentication first; recovery codes come with it.")
        return redirect("mfa_setup")
    form = CurrentPasswordForm(user, _posted(request))
    if request.method == "POST" and form.is_valid():
        codes = security.regenerate_recovery_codes(user)
        return render(
            request,
            "core/accounts/recovery_codes.html",
            {"page_title": "Recovery codes", "codes": codes, "just_enrolled": False},
        )
    return render(
        request,
        "core/accounts/recovery_codes_regenerate.html",
        {
            "page_title": "New recovery codes",
            "form": form,
            "remaining": security.remaining_recovery_codes(user),
            "total": security.RECOVERY_CODE_COUNT,
        },
    )


# --- Passwords -------------------------------------------------------------------------


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = StewardPasswordChangeForm
    template_name = "core/accounts/password_change.html"
    success_url = reverse_lazy("account")
    extra_context = {"page_title": "Change password"}

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)  # saves and keeps this session signed in
        security.record_password_change(form.user)
        messages.success(self.request, "Your password has been changed.")
        return response


class PasswordResetView(auth_views.PasswordResetView):
    form_class = StewardPasswordResetForm
    template_name = "core/accounts/password_reset_form.html"
    email_template_name = "core/accounts/password_reset_email.txt"
    subject_template_name = "core/accounts/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")
    extra_context = {"page_title": "Reset your password"}

    def get_extra_email_context(self) -> dict[str, Any]:
        return {"product": "Steward", "valid_hours": max(1, settings.PASSWORD_RESET_TIMEOUT // 3600)}

    def form_valid(self, form: Any) -> HttpResponse:
        self.extra_email_context = self.get_extra_email_context()
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "core/accounts/password_reset_done.html"
    extra_context = {"page_title": "Check your e-mail"}


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = StewardSetPasswordForm
    template_name = "core/accounts/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")
    post_reset_login = False
    extra_context = {"page_title": "Choose a new password"}

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        security.record_password_reset(form.user)
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "core/accounts/password_reset_complete.html"
    extra_context = {"page_title": "Password changed"}


# --- Personal API tokens ---------------------------------------------------------------


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def token_create(request: HttpRequest) -> HttpResponse:
    user = _current_user(request)
    scope = Scope.for_user(user)
    scope.require("tokens.use")
    form = TokenCreateForm(user, scope, _posted(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            issued = security.issue_token(
                user,
                name=data["name"],
                role=data["role"],
                client_ids=[client.pk for client in data.get("clients") or []],
                days=data["days"],
            )
        except security.TokenError as exc:
            form.add_error(None, str(exc))
        else:
            return render(
                request,
                "core/accounts/token_created.html",
                {"page_title": "Token created", "token": issued.token, "secret": issued.secret},
            )
    return render(request, "core/accounts/token_form.html", {"page_title": "New API token", "form": form})


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponseBase:
    # Only the signed-in user's own tokens: anyone else's is "not found".
    token = get_object_or_404(ApiToken.unscoped.select_related("user"), pk=pk, user=_current_user(request))
    if token.revoked_at is None:
        security.revoke_token(token)
        messages.success(request, f"Token “{token.name}” revoked. Anything using it is now refused.")
    return redirect("account")
