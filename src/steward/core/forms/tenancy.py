"""Forms for clients, sites, contacts and users.

They only collect and tidy input: the model validation, permission checks and saving are
the service's job (``steward.core.services.tenancy``), whose ``ValidationError`` the views
map back onto these fields with :func:`apply_service_errors`. Every choice of a client or
site is limited to the acting scope.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Collection
from functools import cache
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from steward.core.models import Client, Contact, Site, User
from steward.core.roles import ASSIGNABLE_ROLES, Role
from steward.core.scoping import Scope


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


def apply_service_errors(
    form: forms.BaseForm, exc: ValidationError, aliases: dict[str, str] | None = None
) -> None:
    """Put a service's ``ValidationError`` on the matching form fields (others on the form)."""
    aliases = aliases or {}
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for name, messages in exc.message_dict.items():
        target = aliases.get(name, name)
        if target in form.fields and target not in form.errors:
            form.add_error(target, messages)
        elif target in form.fields:
            form.errors[target].extend(messages)
        else:
            form.add_error(None, messages if name == NON_FIELD_ERRORS else [f"{name}: {m}" for m in messages])


class ServiceModelForm(forms.ModelForm):  # type: ignore[type-arg,unused-ignore]
    """A ModelForm that leaves model validation to the service (it runs ``full_clean``)."""

    def _post_clean(self) -> None:
        return

    def service_data(self) -> dict[str, Any]:
        fields: Collection[str] = self._meta.fields or ()
        return {name: self.cleaned_data[name] for name in fields if name in self.cleaned_data}


def scoped_clients(scope: Scope) -> QuerySet[Client]:
    return Client.objects.for_scope(scope).only("pk", "name").order_by("name", "pk")


class ClientForm(ServiceModelForm):
    website = forms.URLField(required=False, max_length=200, assume_scheme="https")

    class Meta:
        model = Client
        fields = ["name", "short_code", "status", "email_domain", "phone", "website", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 4})}

    def clean_short_code(self) -> str:
        return str(self.cleaned_data["short_code"]).upper()

    def clean_email_domain(self) -> str:
        domain = str(self.cleaned_data.get("email_domain", "")).strip().lower().lstrip("@")
        if domain and ("." not in domain or " " in domain or "@" in domain):
            raise ValidationError("Enter a domain such as example.com.")
        return domain


class SiteForm(ServiceModelForm):
    client = forms.ModelChoiceField(queryset=Client.objects.none(), empty_label="Choose a client…")
    time_zone = forms.ChoiceField(choices=(), initial="UTC", help_text="IANA time zone, e.g. Europe/London.")

    class Meta:
        model = Site
        fields = [
            "name",
            "time_zone",
            "address_line1",
            "address_line2",
            "city",
            "region",
            "postal_code",
            "country",
            "phone",
            "notes",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, scope: Scope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = time_zone_choices()  # type: ignore[attr-defined]
        if self.instance.pk:
            del self.fields["client"]  # a site never moves to another client
        else:
            self.fields["client"].queryset = scoped_clients(scope)  # type: ignore[attr-defined]
            self.order_fields(["client"])

    def clean_country(self) -> str:
        return str(self.cleaned_data.get("country", "")).strip().upper()


class ContactForm(ServiceModelForm):
    client = forms.ModelChoiceField(queryset=Client.objects.none(), empty_label="Choose a client…")
    site = forms.ModelChoiceField(
        queryset=Site.objects.none(), required=False, empty_label="No particular site"
    )

    class Meta:
        model = Contact
        fields = ["full_name", "email", "phone", "job_title", "is_primary", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, scope: Scope, client_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["client"]
            client_id = self.instance.client_id
        else:
            self.fields["client"].queryset = scoped_clients(scope)  # type: ignore[attr-defined]
            # With htmx, choosing the client reloads just the site select with its sites.
            self.fields["client"].widget.attrs.update(
                {
                    "hx-get": reverse("contact_create"),
                    "hx-trigger": "change",
                    "hx-target": "#field-site",
                    "hx-select": "#field-site",
                    "hx-swap": "outerHTML",
                }
            )
            raw = self.data.get("client") if self.is_bound else self.initial.get("client")
            raw = getattr(raw, "pk", raw)
            try:
                client_id = int(raw) if raw not in (None, "") else client_id
            except (TypeError, ValueError):
                client_id = None
        # Any site in the scope validates (the service then insists it is this client's);
        # only the chosen client's sites are offered, so the select stays short.
        sites = Site.objects.for_scope(scope).select_related("client").only("pk", "name", "client__name")
        site_field = self.fields["site"]
        site_field.queryset = sites  # type: ignore[attr-defined]
        offered = sites.filter(client_id=client_id).order_by("name") if client_id else sites.none()
        site_field.widget.choices = [("", "No particular site"), *((s.pk, s.name) for s in offered)]
        if not client_id:
            site_field.help_text = "Choose the client first to pick one of its sites."
        self.order_fields(["client", "full_name", "email", "phone", "job_title", "site", "is_primary"])

    def service_data(self) -> dict[str, Any]:
        data = super().service_data()
        site = self.cleaned_data.get("site")
        data["site_id"] = site.pk if site is not None else None
        return data


class UserForm(forms.Form):
    """Create or edit an account; which fields appear depends on who is acting."""

    full_name = forms.CharField(max_length=200)
    email = forms.EmailField(max_length=254, label="E-mail")
    role = forms.ChoiceField(choices=())
    client = forms.ModelChoiceField(
        queryset=Client.objects.none(),
        required=False,
        empty_label="— Provider staff (no client) —",
        help_text="Client roles belong to exactly one client; provider staff to none.",
    )
    is_active = forms.BooleanField(
        required=False, initial=True, label="Active", help_text="Inactive accounts cannot sign in."
    )
    mfa_required = forms.BooleanField(required=False, label="Require two-factor authentication")
    all_clients = forms.BooleanField(required=False, label="Technician: access to all clients")
    granted_clients = forms.ModelMultipleChoiceField(
        queryset=Client.objects.none(),
        required=False,
        label="Technician: clients granted",
        help_text="Used when “access to all clients” is off. Hold Ctrl (⌘ on a Mac) to pick several.",
    )
    send_invite = forms.BooleanField(
        required=False,
        initial=True,
        label="Send a set-password e-mail",
        help_text="New accounts have no password; the e-mail lets the user choose one.",
    )

    def __init__(
        self, *args: Any, scope: Scope, actor: User, instance: User | None = None, **kwargs: Any
    ) -> None:
        self.instance = instance
        if instance is not None:
            kwargs.setdefault("initial", {}).update(
                {
                    "full_name": instance.full_name,
                    "email": instance.email,
                    "role": instance.role,
                    "client": instance.client_id,
                    "is_active": instance.is_active,
                    "mfa_required": instance.mfa_required,
                    "all_clients": instance.all_clients,
                    "granted_clients": [c.pk for c in instance.granted_clients.all()],
                }
            )
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.is_provider_admin = actor.role == Role.PROVIDER_ADMIN and scope.all_clients
        roles = ASSIGNABLE_ROLES.get(actor.role, ())
        role_field: Any = self.fields["role"]
        role_field.choices = [(value, Role(value).label) for value in roles]
        if self.is_provider_admin:
            self.fields["client"].queryset = scoped_clients(scope)  # type: ignore[attr-defined]
            self.fields["granted_clients"].queryset = scoped_clients(scope)  # type: ignore[attr-defined]
            self.fields["granted_clients"].widget.attrs["size"] = 8
        else:
            for name in ("client", "all_clients", "granted_clients"):
                del self.fields[name]
        if instance is not None:
            self.fields.pop("send_invite")
            if "client" in self.fields:
                del self.fields["client"]  # an account never moves between clients
            if instance.pk == actor.pk:
                for name in ("role", "is_active"):
                    self.fields[name].disabled = True
                    self.fields[name].help_text = "You cannot change this on your own account."

    def clean_email(self) -> str:
        return str(self.cleaned_data["email"]).strip().lower()

    @property
    def client_id(self) -> int | None:
        client = self.cleaned_data.get("client")
        return client.pk if client is not None else None

    def service_data(self) -> dict[str, Any]:
        names = ["full_name", "email", "role", "is_active", "mfa_required", "all_clients"]
        return {name: self.cleaned_data[name] for name in names if name in self.fields}

    def granted_client_ids(self) -> list[int] | None:
        if "granted_clients" not in self.fields:
            return None
        if self.cleaned_data.get("role") != Role.TECHNICIAN:
            return []
        return [client.pk for client in self.cleaned_data.get("granted_clients") or []]


class DeleteClientForm(forms.Form):
    confirm = forms.CharField(label="Type the client's code to confirm", max_length=30)

    def __init__(self, *args: Any, client: Client, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.client = client
        self.fields["confirm"].widget.attrs.update({"autocomplete": "off", "placeholder": client.short_code})

    def clean_confirm(self) -> str:
        value = str(self.cleaned_data["confirm"]).strip()
        if value.upper() != self.client.short_code.upper():
            raise ValidationError(f"Type {self.client.short_code} to confirm.")
        return value


class SetPasswordInviteForm(PasswordResetForm):
    """Sends one user the e-mail with a link to choose their first password.

    Django's reset form skips accounts without a usable password, which is exactly what a
    new account has, so this one addresses the given user directly.
    """

    def __init__(self, user: User) -> None:
        super().__init__({"email": user.email})
        self.user = user

    def get_users(self, email: str) -> list[User]:
        return [self.user] if self.user.is_active else []

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        context["set_password_url"] = set_password_url(context["uid"], context["token"])
        super().send_mail(
            subject_template_name,
            email_template_name,
            context,
            from_email,
            to_email,
            html_email_template_name,
        )

    def send(self, request: HttpRequest) -> bool:
        if not self.is_valid() or not self.user.is_active:
            return False
        self.save(
            request=request,
            use_https=request.is_secure(),
            subject_template_name="core/users/invite_subject.txt",
            email_template_name="core/users/invite_email.txt",
            extra_email_context={"provider_name": self.user.provider.name},
        )
        return True


def set_password_url(uid: str, token: str) -> str:
    """The accounts module's confirm page if it is installed, else its request page."""
    base = str(getattr(settings, "SITE_URL", "")).rstrip("/")
    try:
        path = reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    except NoReverseMatch:
        try:
            path = reverse("password_reset")
        except NoReverseMatch:
            path = "/password-reset/"
    return f"{base}{path}"
