"""Demo data: a provider, three clients of different sizes plus an offboarded one, and a
login for every role (``steward demo``).

Seeding is idempotent: every row is looked up by its natural key (slug, short code, site
name, e-mail) and only missing rows are created, so running it twice changes nothing.
All demo accounts share one password, hashed once (hashing ~25 passwords with Argon2
would take seconds); real accounts are never created this way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from steward.core import audit
from steward.core.models import Client, Contact, Provider, Site, User
from steward.core.roles import Role

DEMO_PASSWORD = "steward-demo-2026"  # noqa: S105  (published on purpose: demo logins only)
PROVIDER_NAME = "Northwind IT Services"
PROVIDER_SLUG = "northwind-it"


class DemoError(RuntimeError):
    """The install already holds real data, so demo data is not mixed in."""


@dataclass(frozen=True)
class SiteSpec:
    name: str
    time_zone: str
    address_line1: str
    city: str
    postal_code: str
    country: str
    region: str = ""
    phone: str = ""


@dataclass(frozen=True)
class PersonSpec:
    full_name: str
    email: str
    job_title: str
    role: str | None = None  # a login with this role, or None for a contact without a login
    primary: bool = False
    site: str = ""  # site name, for contacts


@dataclass(frozen=True)
class ClientSpec:
    name: str
    short_code: str
    status: str
    email_domain: str
    phone: str
    website: str
    notes: str
    sites: tuple[SiteSpec, ...]
    people: tuple[PersonSpec, ...]


# Phone numbers come from ranges reserved for fiction (Ofcom's 020 7946 0xxx, US 555-01xx,
# and the documentation ranges elsewhere); e-mail domains are under .example.
STAFF = (
    PersonSpec("Priya Shah", "admin@northwind.example", "Managing Director", Role.PROVIDER_ADMIN),
    PersonSpec("Tom Becker", "tom.becker@northwind.example", "Senior Engineer", Role.TECHNICIAN),
    PersonSpec("Sam Okafor", "sam.okafor@northwind.example", "Service Desk Technician", Role.TECHNICIAN),
)
TECHNICIAN_ALL_CLIENTS = "tom.becker@northwind.example"
# The limited technician looks after the two smaller clients only.
TECHNICIAN_GRANTS = {"sam.okafor@northwind.example": ("RIVERSIDE", "LRA")}

CLIENTS = (
    ClientSpec(
        name="Riverside Dental Practice",
        short_code="RIVERSIDE",
        status=Client.Status.ACTIVE,
        email_domain="riversidedental.example",
        phone="020 7946 0101",
        website="https://riversidedental.example",
        notes="Five staff. Practice-management software on one server in the comms cupboard.",
        sites=(
            SiteSpec(
                "Riverside Surgery",
                "Europe/London",
                "14 High Street",
                "Kingston upon Thames",
                "KT1 1LF",
                "GB",
                "Surrey",
                "020 7946 0101",
            ),
        ),
        people=(
            PersonSpec(
                "Dr Helen Marsh",
                "helen.marsh@riversidedental.example",
                "Principal Dentist",
                Role.CLIENT_ADMIN,
                primary=True,
                site="Riverside Surgery",
            ),
            PersonSpec(
                "Gary Holt",
                "gary.holt@riversidedental.example",
                "Practice Manager",
                Role.END_USER,
                site="Riverside Surgery",
            ),
            PersonSpec(
                "Aisha Begum",
                "aisha.begum@riversidedental.example",
                "Dental Nurse",
                Role.END_USER,
                site="Riverside Surgery",
            ),
        ),
    ),
    ClientSpec(
        name="Lindqvist & Rowe Architects",
        short_code="LRA",
        status=Client.Status.ACTIVE,
        email_domain="lindqvistrowe.example",
        phone="020 7946 0202",
        website="https://lindqvistrowe.example",
        notes="About 40 staff across three studios. Heavy CAD workstations and a shared project NAS.",
        sites=(
            SiteSpec(
                "London Studio",
                "Europe/London",
                "31 Clerkenwell Close",
                "London",
                "EC1R 0AT",
                "GB",
                "",
                "020 7946 0202",
            ),
            SiteSpec(
                "Berlin Studio",
                "Europe/Berlin",
                "Oranienstraße 24",
                "Berlin",
                "10999",
                "DE",
                "",
                "+49 30 555 0134",
            ),
            SiteSpec(
                "New York Studio",
                "America/New_York",
                "88 Water Street, Floor 4",
                "Brooklyn",
                "11201",
                "US",
                "NY",
                "+1 212 555 0144",
            ),
        ),
        people=(
            PersonSpec(
                "Erik Lindqvist",
                "erik.lindqvist@lindqvistrowe.example",
                "Founding Partner",
                Role.CLIENT_ADMIN,
                primary=True,
                site="London Studio",
            ),
            PersonSpec(
                "Charlotte Rowe",
                "charlotte.rowe@lindqvistrowe.example",
                "Partner",
                None,
                site="New York Studio",
            ),
            PersonSpec(
                "Jonas Weber",
                "jonas.weber@lindqvistrowe.example",
                "Studio Lead Berlin",
                Role.END_USER,
                site="Berlin Studio",
            ),
            PersonSpec(
                "Maya Patel",
                "maya.patel@lindqvistrowe.example",
                "Architect",
                Role.END_USER,
                site="London Studio",
            ),
            PersonSpec(
                "Daniel Brooks",
                "daniel.brooks@lindqvistrowe.example",
                "Office Manager",
                Role.END_USER,
                site="New York Studio",
            ),
        ),
    ),
    ClientSpec(
        name="Meridian Freight Logistics",
        short_code="MERIDIAN",
        status=Client.Status.ONBOARDING,
        email_domain="meridianfreight.example",
        phone="+1 312 555 0110",
        website="https://meridianfreight.example",
        notes="About 150 staff. Co-managed: their in-house IT team handles first line, we run the rest.",
        sites=(
            SiteSpec(
                "Chicago Headquarters",
                "America/Chicago",
                "400 West Lake Street, Suite 1200",
                "Chicago",
                "60606",
                "US",
                "IL",
                "+1 312 555 0110",
            ),
            SiteSpec(
                "Los Angeles Port Warehouse",
                "America/Los_Angeles",
                "2150 East Pacific Coast Highway",
                "Long Beach",
                "90806",
                "US",
                "CA",
                "+1 562 555 0120",
            ),
            SiteSpec(
                "Newark Distribution Center",
                "America/New_York",
                "75 Port Street",
                "Newark",
                "07114",
                "US",
                "NJ",
                "+1 973 555 0130",
            ),
            SiteSpec(
                "Rotterdam Hub",
                "Europe/Amsterdam",
                "Waalhaven Zuidzijde 21",
                "Rotterdam",
                "3089 JH",
                "NL",
                "",
                "+31 10 555 0140",
            ),
            SiteSpec(
                "Singapore Office",
                "Asia/Singapore",
                "10 Anson Road, #22-04",
                "Singapore",
                "079903",
                "SG",
                "",
                "+65 5550 0150",
            ),
            SiteSpec(
                "Sydney Office",
                "Australia/Sydney",
                "1 Market Street, Level 9",
                "Sydney",
                "2000",
                "AU",
                "NSW",
                "+61 2 5550 0160",
            ),
        ),
        people=(
            PersonSpec(
                "Laura Chen",
                "laura.chen@meridianfreight.example",
                "Chief Operating Officer",
                Role.CLIENT_ADMIN,
                primary=True,
                site="Chicago Headquarters",
            ),
            PersonSpec(
                "Marcus Reed",
                "marcus.reed@meridianfreight.example",
                "IT Manager",
                Role.CLIENT_IT,
                site="Chicago Headquarters",
            ),
            PersonSpec(
                "Tanya Ivanova",
                "tanya.ivanova@meridianfreight.example",
                "IT Support Analyst",
                Role.CLIENT_IT,
                site="Los Angeles Port Warehouse",
            ),
            PersonSpec(
                "Carlos Mendoza",
                "carlos.mendoza@meridianfreight.example",
                "Warehouse Supervisor",
                Role.END_USER,
                site="Los Angeles Port Warehouse",
            ),
            PersonSpec(
                "Pieter de Vries",
                "pieter.devries@meridianfreight.example",
                "Hub Manager",
                Role.END_USER,
                site="Rotterdam Hub",
            ),
            PersonSpec(
                "Wei Ling Tan",
                "weiling.tan@meridianfreight.example",
                "Regional Coordinator",
                Role.END_USER,
                site="Singapore Office",
            ),
            PersonSpec(
                "Olivia Grant",
                "olivia.grant@meridianfreight.example",
                "Account Manager",
                Role.END_USER,
                site="Sydney Office",
            ),
            PersonSpec(
                "Frank Morris",
                "frank.morris@meridianfreight.example",
                "Finance Director",
                None,
                site="Chicago Headquarters",
            ),
        ),
    ),
    ClientSpec(
        name="Harbour Bakery Co.",
        short_code="HARBOUR",
        status=Client.Status.OFFBOARDED,
        email_domain="harbourbakery.example",
        phone="0117 496 0303",
        website="",
        notes="Left us in 2025 after being acquired; kept for its history.",
        sites=(
            SiteSpec(
                "Harbourside Bakery",
                "Europe/London",
                "5 Narrow Quay",
                "Bristol",
                "BS1 4QA",
                "GB",
                "",
                "0117 496 0303",
            ),
        ),
        people=(
            PersonSpec(
                "Nina Hughes",
                "nina.hughes@harbourbakery.example",
                "Owner",
                None,
                primary=True,
                site="Harbourside Bakery",
            ),
        ),
    ),
)


@dataclass(frozen=True)
class Login:
    email: str
    role: str
    client: str  # client name, "" for provider staff

    @property
    def role_label(self) -> str:
        return Role(self.role).label


@dataclass
class DemoResult:
    provider: Provider | None
    created: bool  # False when the demo data was already there (nothing new written)
    logins: list[Login] = field(default_factory=list)
    password: str = DEMO_PASSWORD
    created_rows: int = 0
    skipped_reason: str = ""


def demo_logins() -> list[Login]:
    """Every demo account, provider staff first, in the order the seed creates them."""
    logins = [Login(person.email, str(person.role), "") for person in STAFF]
    for spec in CLIENTS:
        logins += [Login(p.email, str(p.role), spec.name) for p in spec.people if p.role is not None]
    return logins


def existing_logins(provider: Provider) -> list[Login]:
    """The demo accounts that exist (and are active) in this install."""
    emails = [login.email for login in demo_logins()]
    present = set(
        User.unscoped.filter(provider=provider, email__in=emails, is_active=True).values_list(
            "email", flat=True
        )
    )
    return [login for login in demo_logins() if login.email in present]


# Modules add their part of the demo (the desk's tickets…): each gets the demo provider and
# returns how many rows it created. Registered from the module's AppConfig.ready().
DEMO_EXTENSIONS: list[Callable[[Provider], int]] = []


def register_extension(extend: Callable[[Provider], int]) -> Callable[[Provider], int]:
    if extend not in DEMO_EXTENSIONS:
        DEMO_EXTENSIONS.append(extend)
    return extend


def seed(*, if_empty: bool = False) -> DemoResult:
    """Create (or complete) the demo data; see the module docstring."""
    with audit.acting_as(audit.Actor.system("cli:demo")), transaction.atomic():
        others = Provider.objects.exclude(slug=PROVIDER_SLUG)
        demo_provider = Provider.objects.filter(slug=PROVIDER_SLUG).first()
        if if_empty and (demo_provider is not None or others.exists()):
            if demo_provider is None:
                return DemoResult(None, False, skipped_reason="this install already has a provider")
            return DemoResult(demo_provider, False, existing_logins(demo_provider))
        if others.exists():
            raise DemoError(
                f"This install already has a provider ({others.first()}); "
                "demo data goes into an empty install only."
            )
        seeder = _Seeder()
        provider = seeder.run()
        for extend in DEMO_EXTENSIONS:
            seeder.created += extend(provider)
        return DemoResult(
            provider, seeder.created > 0, existing_logins(provider), created_rows=seeder.created
        )


class _Seeder:
    def __init__(self) -> None:
        self.created = 0
        self.password_hash = make_password(DEMO_PASSWORD)
        self.now = timezone.now()

    def run(self) -> Provider:
        provider, made = Provider.objects.get_or_create(
            slug=PROVIDER_SLUG,
            defaults={
                "name": PROVIDER_NAME,
                "support_email": "support@northwind.example",
                "time_zone": "Europe/London",
            },
        )
        self.created += made
        clients = {spec.short_code: self._client(provider, spec) for spec in CLIENTS}
        for person in STAFF:
            user = self._user(provider, None, person)
            if person.email in TECHNICIAN_GRANTS and not user.granted_clients.exists():
                user.granted_clients.set([clients[code] for code in TECHNICIAN_GRANTS[person.email]])
        return provider

    def _client(self, provider: Provider, spec: ClientSpec) -> Client:
        client = Client.unscoped.filter(provider=provider, short_code=spec.short_code).first()
        if client is None:
            client = Client(
                provider=provider,
                name=spec.name,
                short_code=spec.short_code,
                status=spec.status,
                email_domain=spec.email_domain,
                phone=spec.phone,
                website=spec.website,
                notes=spec.notes,
            )
            self._save(client)
        sites = {site.name: self._site(client, site) for site in spec.sites}
        for person in spec.people:
            self._contact(client, sites.get(person.site), person)
            if person.role is not None and spec.status != Client.Status.OFFBOARDED:
                self._user(provider, client, person)
        return client

    def _site(self, client: Client, spec: SiteSpec) -> Site:
        site = Site.unscoped.filter(client=client, name=spec.name).first()
        if site is None:
            site = Site(
                client=client,
                name=spec.name,
                time_zone=spec.time_zone,
                address_line1=spec.address_line1,
                city=spec.city,
                region=spec.region,
                postal_code=spec.postal_code,
                country=spec.country,
                phone=spec.phone,
            )
            self._save(site)
        return site

    def _contact(self, client: Client, site: Site | None, person: PersonSpec) -> None:
        if Contact.unscoped.filter(client=client, email=person.email).exists():
            return
        contact = Contact(
            client=client,
            site=site,
            full_name=person.full_name,
            email=person.email,
            job_title=person.job_title,
            is_primary=person.primary,
            phone=client.phone,
        )
        self._save(contact)

    def _user(self, provider: Provider, client: Client | None, person: PersonSpec) -> User:
        user = User.unscoped.filter(email=person.email).first()
        if user is None:
            assert person.role is not None
            user = User(
                email=person.email,
                full_name=person.full_name,
                provider=provider,
                client=client,
                role=person.role,
                all_clients=person.email == TECHNICIAN_ALL_CLIENTS,
                password=self.password_hash,
                password_changed_at=self.now,
            )
            self._save(user)
        return user

    def _save(self, instance: Client | Site | Contact | User) -> None:
        instance.full_clean()
        instance.save()
        self.created += 1
