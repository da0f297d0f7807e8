"""Provider, Client, Site and Contact: who Steward works for and with."""

from __future__ import annotations

import zoneinfo
from typing import ClassVar

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower

from steward.core.audit_model import AuditedModel
from steward.core.scoping import TenantOwned


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"'{value}' is not an IANA time zone (for example Europe/London).")


class Provider(AuditedModel):
    """The support company running this install."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    support_email = models.EmailField(blank=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name

    def audit_ownership(self) -> tuple[int | None, int | None]:
        return self.pk, None


class Client(TenantOwned, AuditedModel):
    """A customer organisation of the provider."""

    class Status(models.TextChoices):
        ONBOARDING = "onboarding", "Onboarding"
        ACTIVE = "active", "Active"
        OFFBOARDED = "offboarded", "Offboarded"

    client_path: ClassVar[str] = "pk"
    provider_path: ClassVar[str] = "provider_id"

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="clients")
    name = models.CharField(max_length=200)
    short_code = models.SlugField(
        max_length=30, help_text="Short unique code used in ticket references and exports, e.g. ACME."
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ONBOARDING)
    email_domain = models.CharField(
        max_length=253, blank=True, help_text="Mail from this domain is recognised as this client's."
    )
    phone = models.CharField(max_length=40, blank=True)
    website = models.URLField(blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantOwned.Meta):
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "short_code"], name="client_unique_code"),
            models.UniqueConstraint(Lower("name"), "provider", name="client_unique_name_ci"),
        ]
        indexes = [models.Index(fields=["provider", "status", "name"])]

    def __str__(self) -> str:
        return self.name

    def audit_ownership(self) -> tuple[int | None, int | None]:
        return self.provider_id, self.pk


class Site(TenantOwned, AuditedModel):
    """A location of a client, with its own time zone and address."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="sites")
    name = models.CharField(max_length=200)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    address_line1 = models.CharField("address", max_length=200, blank=True)
    address_line2 = models.CharField("address (line 2)", max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField("region / state", max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166 two-letter code, e.g. GB.")
    phone = models.CharField(max_length=40, blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantOwned.Meta):
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), "client", name="site_unique_name_ci")]
        indexes = [models.Index(fields=["client", "name"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.client})" if self.client_id else self.name

    def audit_ownership(self) -> tuple[int | None, int | None]:
        return self.client.provider_id, self.client_id


class Contact(TenantOwned, AuditedModel):
    """A person at a client (who may or may not have a login)."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="contacts")
    site = models.ForeignKey(Site, on_delete=models.SET_NULL, null=True, blank=True, related_name="contacts")
    full_name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    job_title = models.CharField(max_length=120, blank=True)
    is_primary = models.BooleanField(
        "primary contact", default=False, help_text="The client's decision maker for IT."
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantOwned.Meta):
        ordering = ["full_name"]
        indexes = [models.Index(fields=["client", "full_name"]), models.Index(fields=["email"])]

    def __str__(self) -> str:
        return self.full_name

    def clean(self) -> None:
        if (
            self.site_id
            and self.client_id
            and self.site is not None
            and self.site.client_id != self.client_id
        ):
            raise ValidationError({"site": "That site belongs to another client."})

    def audit_ownership(self) -> tuple[int | None, int | None]:
        return self.client.provider_id, self.client_id
