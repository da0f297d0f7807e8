"""Forms for signing in, MFA, passwords and personal API tokens."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import PasswordChangeForm, PasswordResetForm, SetPasswordForm
from django.core.validators import MaxLengthValidator

from steward.core.models import Client, User
from steward.core.roles import ASSIGNABLE_ROLES, Role
from steward.core.scoping import Scope
from steward.core.services.security import MAX_TOKEN_DAYS

# Long enough for any pass phrase, short enough that hashing it is not a denial of service.
PASSWORD_INPUT_MAX = 1024


class SignInForm(forms.Form):
    email = forms.EmailField(
        label="E-mail address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True, "spellcheck": "false"}),
    )
    password = forms.CharField(
        label="Password",
        max_length=PASSWORD_INPUT_MAX,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class OneTimeCodeForm(forms.Form):
    """A six-digit authenticator code or, where allowed, a recovery code."""

    code = forms.CharField(
        label="Authentication code",
        max_length=32,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autofocus": True,
                "autocapitalize": "off",
                "spellcheck": "false",
                "class": "code-input",
            }
        ),
    )

    def __init__(self, *args: Any, numeric_only: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["code"]
        if numeric_only:
            field.label = "Code from your authenticator app"
            field.widget.attrs.update({"inputmode": "numeric", "pattern": r"[0-9 ]*", "maxlength": "7"})
        else:
            field.help_text = "The 6-digit code from your authenticator app, or one of your recovery codes."

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        if not code:
            raise forms.ValidationError("Enter the code.")
        return code


class CurrentPasswordForm(forms.Form):
    """Re-enter the password before a sensitive change."""

    password = forms.CharField(
        label="Current password",
        max_length=PASSWORD_INPUT_MAX,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your current password.")
        return password


def _limit_length(form: forms.Form, *names: str) -> None:
    for name in names:
        form.fields[name].validators.append(MaxLengthValidator(PASSWORD_INPUT_MAX))


class StewardPasswordResetForm(PasswordResetForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["email"]
        field.label = "E-mail address"
        field.widget.attrs.update({"autocomplete": "email", "autofocus": True})


class StewardSetPasswordForm(SetPasswordForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].widget.attrs["autofocus"] = True
        _limit_length(self, "new_password1", "new_password2")


class StewardPasswordChangeForm(PasswordChangeForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = "Current password"
        _limit_length(self, "old_password", "new_password1", "new_password2")


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=100,
        help_text="What the token is for, e.g. “PSA sync”.",
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}),
    )
    role = forms.ChoiceField(
        label="Role", help_text="The token can do what this role can do, and never more than you can."
    )
    clients = forms.ModelMultipleChoiceField(
        label="Limit to clients",
        queryset=Client.unscoped.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave all unticked for every client you can reach.",
    )
    days = forms.IntegerField(
        label="Expires after (days)",
        min_value=1,
        max_value=MAX_TOKEN_DAYS,
        initial=90,
        help_text=f"1 to {MAX_TOKEN_DAYS} days.",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    def __init__(self, user: User, scope: Scope, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        roles = ASSIGNABLE_ROLES.get(user.role, ())
        if user.role not in roles:
            roles = (user.role, *roles)
        role_field = self.fields["role"]
        assert isinstance(role_field, forms.ChoiceField)
        role_field.choices = [(role, Role(role).label) for role in roles]
        role_field.initial = user.role
        if user.is_provider_staff:
            clients_field = self.fields["clients"]
            assert isinstance(clients_field, forms.ModelMultipleChoiceField)
            clients_field.queryset = Client.objects.for_scope(scope).order_by("name")
        else:
            del self.fields["clients"]  # a client user's token is always limited to their own client
