"""The tenancy verbs: create, change and delete clients, sites, contacts and users.

Web views, the API and the CLI all call these; each takes the acting :class:`Scope`,
checks the permission and that the target client lies inside the scope, validates the
model, and saves inside a transaction (the audit entry is written by the save).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction

from steward.core.models import Client, Contact, Site, User
from steward.core.roles import PROVIDER_ROLES, Role, can_assign
from steward.core.scoping import Scope

M = TypeVar("M", bound=models.Model)

PERMISSION_AREA = {Client: "clients", Site: "sites", Contact: "contacts", User: "users"}


def _area(model: type[models.Model]) -> str:
    return PERMISSION_AREA[model]  # type: ignore[index]


def _require_client(scope: Scope, client_id: int | None) -> Client:
    if client_id is None:
        raise ValidationError({"client": "Choose a client."})
    client = Client.objects.for_scope(scope).filter(pk=client_id).first()
    if client is None:
        # Same answer whether the client exists elsewhere or not at all: no id probing.
        raise ValidationError({"client": "Unknown client."})
    return client


def _check_duplicates(instance: models.Model) -> None:
    """Friendly, field-level answers for the unique constraints (checked across the whole
    provider on purpose: a name hidden from a limited scope still cannot be reused)."""
    errors: dict[str, str] = {}
    if isinstance(instance, Client):
        others = Client.unscoped.filter(provider_id=instance.provider_id).exclude(pk=instance.pk)
        if instance.short_code and others.filter(short_code__iexact=instance.short_code).exists():
            errors["short_code"] = "Another client already uses this code."
        if instance.name and others.filter(name__iexact=instance.name).exists():
            errors["name"] = "Another client already has this name."
    elif isinstance(instance, Site):
        others = Site.unscoped.filter(client_id=instance.client_id).exclude(pk=instance.pk)
        if instance.name and others.filter(name__iexact=instance.name).exists():
            errors["name"] = "This client already has a site with this name."
    elif isinstance(instance, User):
        others = User.unscoped.exclude(pk=instance.pk)
        if instance.email and others.filter(email__iexact=instance.email).exists():
            errors["email"] = "An account with this e-mail already exists."
    if errors:
        raise ValidationError(errors)


def _save(instance: M, *, exclude: list[str] | None = None) -> M:
    errors: dict[str, list[str]] = {}
    try:
        # Constraints are checked below with clearer messages (and by the database).
        instance.full_clean(exclude=exclude, validate_constraints=False)
    except ValidationError as exc:
        errors = exc.message_dict
    try:
        _check_duplicates(instance)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, [])
            errors[name] = [m for m in errors[name] if "already exists" not in m] + messages
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as exc:
        raise ValidationError(_integrity_message(instance, exc)) from exc
    return instance


def _integrity_message(instance: models.Model, exc: IntegrityError) -> dict[str, str] | str:
    text = str(exc).lower()
    if "client_unique_code" in text or "short_code" in text:
        return {"short_code": "Another client already uses this code."}
    if "client_unique_name" in text or ("name" in text and isinstance(instance, Client)):
        return {"name": "Another client already has this name."}
    if "site_unique_name" in text:
        return {"name": "This client already has a site with this name."}
    if "email" in text and isinstance(instance, User):
        return {"email": "An account with this e-mail already exists."}
    return "This would duplicate an existing record."


def get_scoped(scope: Scope, model: type[M], pk: Any) -> M:
    """One row inside the scope, or ``model.DoesNotExist`` (callers answer 404)."""
    scope.require(f"{_area(model)}.view")
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise model.DoesNotExist(f"{model.__name__} {pk!r} not found") from None  # type: ignore[attr-defined]
    return model.objects.for_scope(scope).get(pk=pk)  # type: ignore[attr-defined]


def _apply(instance: models.Model, data: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = set(data) - allowed
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be set here."))
    for name, value in data.items():
        setattr(instance, name, value)


CLIENT_FIELDS = {"name", "short_code", "status", "email_domain", "phone", "website", "notes"}
SITE_FIELDS = {
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
}
CONTACT_FIELDS = {"full_name", "email", "phone", "job_title", "is_primary", "notes", "site_id"}
USER_FIELDS = {"email", "full_name", "role", "is_active", "mfa_required", "all_clients"}


def create_client(scope: Scope, data: Mapping[str, Any]) -> Client:
    scope.require("clients.add")
    if not scope.all_clients:
        raise PermissionDenied("Only staff with access to all clients can create clients.")
    client = Client(provider_id=scope.provider_id)
    _apply(client, data, CLIENT_FIELDS)
    if client.short_code:
        client.short_code = client.short_code.upper()
    return _save(client)


def update_client(scope: Scope, client: Client, data: Mapping[str, Any]) -> Client:
    scope.require("clients.change")
    scope.require_client(client.pk)
    _apply(client, data, CLIENT_FIELDS)
    if client.short_code:
        client.short_code = client.short_code.upper()
    return _save(client)


def delete_client(scope: Scope, client: Client) -> None:
    scope.require("clients.delete")
    scope.require_client(client.pk)
    with transaction.atomic():
        client.delete()


def create_site(scope: Scope, client_id: int | None, data: Mapping[str, Any]) -> Site:
    scope.require("sites.add")
    site = Site(client=_require_client(scope, client_id))
    _apply(site, data, SITE_FIELDS)
    return _save(site)


def update_site(scope: Scope, site: Site, data: Mapping[str, Any]) -> Site:
    scope.require("sites.change")
    scope.require_client(site.client_id)
    _apply(site, data, SITE_FIELDS)
    return _save(site)


def delete_site(scope: Scope, site: Site) -> None:
    scope.require("sites.delete")
    scope.require_client(site.client_id)
    with transaction.atomic():
        site.delete()


def _check_contact_site(scope: Scope, contact: Contact) -> None:
    if contact.site_id is not None:
        site = Site.objects.for_scope(scope).filter(pk=contact.site_id, client_id=contact.client_id).first()
        if site is None:
            raise ValidationError({"site": "Choose one of this client's sites."})


def create_contact(scope: Scope, client_id: int | None, data: Mapping[str, Any]) -> Contact:
    scope.require("contacts.add")
    contact = Contact(client=_require_client(scope, client_id))
    _apply(contact, data, CONTACT_FIELDS)
    _check_contact_site(scope, contact)
    return _save(contact)


def update_contact(scope: Scope, contact: Contact, data: Mapping[str, Any]) -> Contact:
    scope.require("contacts.change")
    scope.require_client(contact.client_id)
    _apply(contact, data, CONTACT_FIELDS)
    _check_contact_site(scope, contact)
    return _save(contact)


def delete_contact(scope: Scope, contact: Contact) -> None:
    scope.require("contacts.delete")
    scope.require_client(contact.client_id)
    with transaction.atomic():
        contact.delete()


def _acting_role(scope: Scope) -> str:
    if scope.user is None:
        return Role.PROVIDER_ADMIN  # system scope (CLI, jobs)
    return scope.user.role


def _check_role_change(scope: Scope, user: User) -> None:
    actor_role = _acting_role(scope)
    if not can_assign(actor_role, user.role):
        raise ValidationError({"role": f"You cannot give the role '{Role(user.role).label}'."})
    if user.role in PROVIDER_ROLES:
        if not scope.all_clients:
            raise ValidationError({"role": "Only provider admins can create provider staff."})
        user.client = None
    if scope.user is not None and user.pk == scope.user.pk and user.role != scope.user.role:
        raise ValidationError({"role": "You cannot change your own role."})


def create_user(
    scope: Scope,
    client_id: int | None,
    data: Mapping[str, Any],
    *,
    password: str | None = None,
    granted_client_ids: list[int] | None = None,
) -> User:
    """Create an account. Without a password the user sets one through the reset e-mail."""
    scope.require("users.manage")
    user = User(provider_id=scope.provider_id)
    _apply(user, data, USER_FIELDS)
    user.email = (user.email or "").strip().lower()
    if user.role not in PROVIDER_ROLES:
        user.client = _require_client(scope, client_id)
    _check_role_change(scope, user)
    if password:
        from django.contrib.auth.password_validation import validate_password

        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from exc
        user.set_password(password)
    else:
        user.set_unusable_password()
    with transaction.atomic():
        _save(user, exclude=["password"])
        if granted_client_ids is not None:
            set_technician_clients(scope, user, granted_client_ids)
    return user


def update_user(
    scope: Scope, user: User, data: Mapping[str, Any], granted_client_ids: list[int] | None = None
) -> User:
    scope.require("users.manage")
    scope.require_client(user.client_id)
    if not can_assign(_acting_role(scope), user.role):
        raise PermissionDenied("You cannot change an account with a higher role than yours.")
    _apply(user, data, USER_FIELDS)
    user.email = (user.email or "").strip().lower()
    _check_role_change(scope, user)
    if scope.user is not None and user.pk == scope.user.pk and not user.is_active:
        raise ValidationError({"is_active": "You cannot deactivate your own account."})
    with transaction.atomic():
        _save(user, exclude=["password"])
        if granted_client_ids is not None:
            set_technician_clients(scope, user, granted_client_ids)
    return user


def set_technician_clients(scope: Scope, user: User, client_ids: list[int]) -> None:
    """Replace a technician's per-client grants (audited as a permission change)."""
    scope.require("users.manage")
    if not scope.all_clients:
        raise PermissionDenied("Only provider admins can change technicians' client access.")
    if user.role != Role.TECHNICIAN:
        if client_ids:
            raise ValidationError({"granted_clients": "Only technicians have per-client grants."})
        if user.granted_clients.exists():
            user.granted_clients.clear()  # a former technician keeps no stray grants
        return
    clients = list(Client.objects.for_scope(scope).filter(pk__in=client_ids))
    if len(clients) != len(set(client_ids)):
        raise ValidationError({"granted_clients": "Unknown client."})
    user.granted_clients.set(clients)


def reset_user_mfa(scope: Scope, user: User) -> None:
    """Remove a user's authenticator and recovery codes (provider admins only); they enrol again."""
    from steward.core.services.security import disable_mfa

    scope.require("users.manage")
    if _acting_role(scope) != Role.PROVIDER_ADMIN or not scope.all_clients:
        raise PermissionDenied("Only provider admins can reset two-factor authentication.")
    if user.provider_id != scope.provider_id:
        raise PermissionDenied("That account is outside your access.")
    acting = scope.user if scope.user is not None else user
    disable_mfa(user, by=acting)
