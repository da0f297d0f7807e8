"""Fleet verbs: find devices (the fleet list's filters, shared with dynamic groups), edit,
quarantine and release, revoke credentials, watch live, ask for inventory, tag and group.

Every function takes the acting :class:`Scope`, checks the permission, and only ever
touches rows inside the scope. Changes are audited: model saves of audited fields write
their own entry; the rest (watch, inventory requests, credential revocation) call
``audit.record`` explicitly.

Device status is computed from ``last_seen_at``, ``checkin_interval`` and the current time,
as database conditions (:func:`status_q`) for filtering and by ``Device.status`` for rows
already loaded. Both follow the same rule:

- ``quarantined``: ``quarantined_at`` is set (whatever the check-ins);
- ``never``: no check-in ever;
- ``online``: silent for at most 3 check-in intervals;
- ``overdue``: silent longer than that, but at most an hour (``OVERDUE_SECONDS``);
- ``offline``: silent for more than an hour (and more than 3 intervals).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from functools import reduce
from operator import or_
from typing import Any
from urllib.parse import parse_qsl, urlencode

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import BooleanField, Count, DateTimeField, F, Func, Q, QuerySet, Value
from django.utils import timezone

from steward.core import audit
from steward.core.listing import MAX_SEARCH_LENGTH, Filter, positive_int
from steward.core.models import Client, Site
from steward.core.scoping import Scope
from steward.devices.models import (
    WATCH_CHECKIN_SECONDS,
    Device,
    DeviceCredential,
    DeviceGroup,
    Tag,
)
from steward.devices.models.fleet import OVERDUE_SECONDS

ONLINE_INTERVALS = 3  # silent for more than this many check-in intervals: overdue
STATUSES = ("online", "overdue", "offline", "never", "quarantined")
STATUS_CHOICES = [(status, status.title()) for status in STATUSES]
# Fields the free-text search looks in (every word must match one of them). Logged-in
# users live in the last heartbeat's JSON: searched only for words written "user:alice",
# so the common search stays on plain columns.
SEARCH_FIELDS = ("hostname", "display_name", "serial_number")
USER_PREFIX = "user:"
# Query-string parameters that narrow the fleet list; a dynamic group saves some of them.
FILTER_KEYS = ("q", "client", "site", "os", "kind", "status", "tag", "group")
GROUP_FILTER_KEYS = tuple(key for key in FILTER_KEYS if key != "group")
SELECT_LIMIT = 300
MAX_TAGS = 20
MAX_WATCH_MINUTES = 60
MAX_STATIC_MEMBERS = 5000


# ---- Status as database conditions ---------------------------------------------------


class SilentLongerThan(Func):
    """True when a device has been silent for more than ``factor`` times its check-in interval
    at ``now`` (NULL when it never checked in). Per-vendor SQL: the interval is a column."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, now: dt.datetime, factor: int = ONLINE_INTERVALS) -> None:
        super().__init__(F("last_seen_at"), F("checkin_interval"), Value(now, output_field=DateTimeField()))
        self.factor = factor

    def _parts(self, compiler: Any, connection: Any) -> tuple[list[str], list[Any]]:
        sqls: list[str] = []
        params: list[Any] = []
        for expression in self.get_source_expressions():
            sql, expression_params = compiler.compile(expression)
            sqls.append(sql)
            params.append(list(expression_params))
        return sqls, params

    def as_sql(
        self,
        compiler: Any,
        connection: Any,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> Any:
        # PostgreSQL: interval arithmetic on timestamptz.
        (seen, interval, now), (seen_p, interval_p, now_p) = self._parts(compiler, connection)
        sql = f"({seen} < {now} - ({interval} * %s) * INTERVAL '1 second')"
        return sql, [*seen_p, *now_p, *interval_p, self.factor]

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # SQLite keeps datetimes as UTC text "YYYY-MM-DD HH:MM:SS[.ffffff]": whole seconds
        # from strftime('%s'), microseconds from the text, so the comparison is exact.
        (seen, interval, now), (seen_p, interval_p, now_p) = self._parts(compiler, connection)
        whole = "CAST(strftime('%%s', substr({}, 1, 19)) AS INTEGER)"
        micro = "CAST(substr({}, 21, 6) AS INTEGER)"
        sql = (
            f"((({whole.format(now)} - {whole.format(seen)}) * 1000000"
            f" + {micro.format(now)} - {micro.format(seen)}) > {interval} * %s)"
        )
        return sql, [*now_p, *seen_p, *now_p, *seen_p, *interval_p, self.factor * 1_000_000]


def status_q(status: str, now: dt.datetime | None = None) -> Q:
    """The database condition for one status at ``now`` (the same rule as ``Device.status``)."""
    now = now or timezone.now()
    live = Q(quarantined_at__isnull=True)
    seen = live & Q(last_seen_at__isnull=False)
    hour_ago = now - dt.timedelta(seconds=OVERDUE_SECONDS)
    silent = SilentLongerThan(now)
    if status == "quarantined":
        return Q(quarantined_at__isnull=False)
    if status == "never":
        return live & Q(last_seen_at__isnull=True)
    if status == "online":
        return seen & Q(~silent)
    if status == "overdue":
        return seen & Q(last_seen_at__gte=hour_ago) & Q(silent)
    if status == "offline":
        # The index on last_seen_at narrows first; the per-row interval check only confirms.
        return seen & Q(last_seen_at__lt=hour_ago) & Q(silent)
    raise ValueError(status)


def status_counts(queryset: QuerySet[Device], now: dt.datetime | None = None) -> dict[str, int]:
    """Devices per status in one query."""
    now = now or timezone.now()
    row = queryset.order_by().aggregate(
        **{status: Count("pk", filter=status_q(status, now)) for status in STATUSES}, total=Count("pk")
    )
    return {key: int(value or 0) for key, value in row.items()}


# ---- Filters -------------------------------------------------------------------------


def _search_q(word: str) -> Q:
    if word.lower().startswith(USER_PREFIX) and len(word) > len(USER_PREFIX):
        return Q(last_heartbeat__logged_in_users__icontains=word[len(USER_PREFIX) :])
    return reduce(or_, (Q(**{f"{name}__icontains": word}) for name in SEARCH_FIELDS))


def search(queryset: QuerySet[Device], text: str) -> QuerySet[Device]:
    """Every word (up to five) must match the hostname, display name or serial number;
    ``user:name`` matches a logged-in user of the last heartbeat."""
    text = " ".join(str(text or "").split())[:MAX_SEARCH_LENGTH]
    for word in text.split()[:5]:
        queryset = queryset.filter(_search_q(word))
    return queryset


def group_members(
    scope: Scope,
    group: DeviceGroup,
    now: dt.datetime | None = None,
    base: QuerySet[Device] | None = None,
) -> QuerySet[Device]:
    """A group's devices inside the scope: its static list, or its saved filter evaluated now.

    ``base`` narrows further (the fleet list passes its queryset, so a dynamic group's
    conditions join the page's query instead of a subquery).
    """
    devices = base if base is not None else Device.objects.for_scope(scope)
    if group.client_id is not None:
        devices = devices.filter(client_id=group.client_id)
    if group.kind == DeviceGroup.Kind.DYNAMIC:
        saved = {key: value for key, value in (group.filter or {}).items() if key in GROUP_FILTER_KEYS}
        return filter_devices(scope, saved, now=now, base=devices, allow_group=False)
    return devices.filter(static_groups=group.pk)


def page_of(queryset: QuerySet[Device], rows: QuerySet[Device], offset: int, limit: int) -> list[Device]:
    """One page of ``rows`` (filtered, ordered) loaded as full ``queryset`` rows.

    The ids come first from a narrow query the database answers from its indexes (walking
    the hostname or last-seen index and stopping after the page); only then are the page's
    rows fetched with their client and site. Joining the site for every row before the
    LIMIT would make SQLite sort the whole fleet.
    """
    ids = list(rows.values_list("pk", flat=True)[offset : offset + limit])
    found = {device.pk: device for device in queryset.filter(pk__in=ids)}
    return [found[pk] for pk in ids if pk in found]


def _in_group(scope: Scope, now: dt.datetime, allow: bool) -> Callable[[QuerySet[Any], Any], QuerySet[Any]]:
    def narrow(queryset: QuerySet[Any], group_id: int) -> QuerySet[Any]:
        group = DeviceGroup.objects.for_scope(scope).filter(pk=group_id).first() if allow else None
        if group is None:
            return queryset.none()
        return group_members(scope, group, now, base=queryset)

    return narrow


def _status(now: dt.datetime) -> Callable[[QuerySet[Any], Any], QuerySet[Any]]:
    return lambda queryset, value: queryset.filter(status_q(value, now))


def device_filters(
    scope: Scope,
    params: Mapping[str, Any] | None = None,
    *,
    now: dt.datetime | None = None,
    allow_group: bool = True,
) -> list[Filter]:
    """The fleet list's filters (for ``build_listing`` and :func:`filter_devices`).

    Option lists load lazily (only when a page shows the select) and stay small: the
    client and site selects give way to a chip beyond ``SELECT_LIMIT`` entries.
    """
    now = now or timezone.now()
    params = params or {}
    clients = Client.objects.for_scope(scope)
    sites = Site.objects.for_scope(scope)

    def client_options() -> list[tuple[str, str]]:
        rows = list(clients.order_by("name", "pk").values_list("pk", "name")[: SELECT_LIMIT + 1])
        return [] if len(rows) > SELECT_LIMIT else [(str(pk), name) for pk, name in rows]

    def site_options() -> list[tuple[str, str]]:
        # Offered once a client is chosen (a whole provider's sites make a useless select);
        # a ?site= without a client still filters and shows as a chip.
        try:
            chosen = positive_int(str(params.get("client", "")))
        except ValueError:
            return []
        rows = sites.filter(client_id=chosen).order_by("name", "pk").values_list("pk", "name")
        return [(str(pk), name) for pk, name in rows[:SELECT_LIMIT]]

    def tag_options() -> list[tuple[str, str]]:
        tags = Tag.objects.filter(provider_id=scope.provider_id).order_by("name")
        return [(str(pk), name) for pk, name in tags.values_list("pk", "name")[:SELECT_LIMIT]]

    def group_options() -> list[tuple[str, str]]:
        groups = DeviceGroup.objects.for_scope(scope).order_by("name", "pk")
        return [(str(pk), name) for pk, name in groups.values_list("pk", "name")[:SELECT_LIMIT]]

    def describe(queryset: QuerySet[Any], noun: str) -> Callable[[Any], str]:
        # Same wording for "absent" and "not yours": the page must not confirm existence.
        return lambda pk: queryset.filter(pk=pk).values_list("name", flat=True).first() or f"Unknown {noun}"

    filters = [
        Filter(
            "client",
            "Client",
            "client_id",
            options=client_options,
            coerce=positive_int,
            describe=describe(clients, "client"),
        ),
        Filter(
            "site",
            "Site",
            "site_id",
            options=site_options,
            coerce=positive_int,
            describe=describe(sites, "site"),
        ),
        Filter("os", "OS", "os_family", options=Device.OsFamily.choices, strict=True),
        Filter("kind", "Kind", "kind", options=Device.Kind.choices, strict=True),
        Filter("status", "Status", _status(now), options=STATUS_CHOICES, strict=True),
        Filter(
            "tag",
            "Tag",
            "tags",
            options=tag_options,
            coerce=positive_int,
            describe=describe(Tag.objects.filter(provider_id=scope.provider_id), "tag"),
        ),
    ]
    if allow_group:
        filters.append(
            Filter(
                "group",
                "Group",
                _in_group(scope, now, allow_group),
                options=group_options,
                coerce=positive_int,
                describe=describe(DeviceGroup.objects.for_scope(scope), "group"),
            )
        )
    return filters


def base_queryset(scope: Scope) -> QuerySet[Device]:
    """The fleet list's rows: scoped, with client and site in the same query."""
    return Device.objects.for_scope(scope).select_related("client", "site")


def filter_devices(
    scope: Scope,
    params: Mapping[str, Any],
    *,
    now: dt.datetime | None = None,
    base: QuerySet[Device] | None = None,
    allow_group: bool = True,
) -> QuerySet[Device]:
    """Devices inside the scope that match the fleet-list parameters (``q``, ``client``,
    ``site``, ``os``, ``kind``, ``status``, ``tag``, ``group``).

    Values that make no sense are ignored, exactly as the list page ignores them; use
    :func:`clean_filter` first to refuse them instead. Works on a query-string ``QueryDict``
    or a plain dict (a dynamic group's saved filter).
    """
    scope.require("devices.view")
    now = now or timezone.now()
    queryset = base if base is not None else Device.objects.for_scope(scope)
    queryset = search(queryset, str(params.get("q", "") or ""))
    for spec in device_filters(scope, params, now=now, allow_group=allow_group):
        raw = str(params.get(spec.name, "") or "").strip()[:100]
        if not raw:
            continue
        try:
            value = spec.coerce(raw)
        except (TypeError, ValueError):
            continue
        if spec.strict and raw not in {option for option, _ in spec.options}:  # type: ignore[union-attr]
            continue
        if callable(spec.lookup):
            queryset = spec.lookup(queryset, value)
        else:
            queryset = queryset.filter(**{spec.lookup: value})
    return queryset


def _is_id(text: str) -> bool:
    try:
        positive_int(text)
    except ValueError:
        return False
    return True


def clean_filter(raw: Mapping[str, Any] | str) -> dict[str, str]:
    """A dynamic group's filter from a dict or a query string (``os=windows&status=offline``),
    validated: known keys only, valid values, ``ValidationError`` otherwise."""
    if isinstance(raw, str):
        pairs = parse_qsl(raw.strip().lstrip("?"), keep_blank_values=False)
    else:
        pairs = [(str(key), value) for key, value in raw.items()]
    cleaned: dict[str, str] = {}
    problems: list[str] = []
    for key, value in pairs:
        text = " ".join(str(value if value is not None else "").split())
        if key in {"sort", "page"} or not text:
            continue
        if key not in GROUP_FILTER_KEYS:
            problems.append(f"“{key[:40]}” is not a fleet filter (use {', '.join(GROUP_FILTER_KEYS)}).")
            continue
        if len(text) > MAX_SEARCH_LENGTH:
            problems.append(f"The {key} value is too long.")
            continue
        valid = {
            "os": text in Device.OsFamily.values,
            "kind": text in Device.Kind.values,
            "status": text in STATUSES,
            "client": _is_id(text),
            "site": _is_id(text),
            "tag": _is_id(text),
        }.get(key, True)
        if not valid:
            problems.append(f"“{text[:40]}” is not a valid {key}.")
            continue
        cleaned[key] = text
    if problems:
        raise ValidationError({"filter": problems})
    return cleaned


def filter_query(saved: Mapping[str, Any]) -> str:
    """A saved filter as the fleet list's query string."""
    return urlencode([(key, saved[key]) for key in FILTER_KEYS if saved.get(key)])


# ---- Device verbs --------------------------------------------------------------------


def get_device(scope: Scope, pk: Any) -> Device:
    """One device inside the scope, or ``Device.DoesNotExist`` (callers answer 404)."""
    scope.require("devices.view")
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Device.DoesNotExist from None
    return Device.objects.for_scope(scope).select_related("client", "site").get(pk=pk)


def _check_in_scope(scope: Scope, device: Device) -> None:
    if not Device.objects.for_scope(scope).filter(pk=device.pk).exists():
        raise Device.DoesNotExist


def _tag_names(names: Iterable[str]) -> list[str]:
    cleaned: list[str] = []
    for raw in names:
        name = " ".join(str(raw).split())
        if not name:
            continue
        if len(name) > 50:
            raise ValidationError({"tags": f"“{name[:50]}…” is longer than 50 characters."})
        if name.lower() not in {existing.lower() for existing in cleaned}:
            cleaned.append(name)
    if len(cleaned) > MAX_TAGS:
        raise ValidationError({"tags": f"At most {MAX_TAGS} tags per device."})
    return cleaned


def set_tags(scope: Scope, device: Device, names: Iterable[str]) -> list[Tag]:
    """Replace a device's tags (provider-wide labels, created on first use; audited)."""
    scope.require("devices.change")
    _check_in_scope(scope, device)
    wanted = _tag_names(names)
    existing = {tag.name.lower(): tag for tag in Tag.objects.filter(provider_id=scope.provider_id)}
    tags: list[Tag] = []
    with transaction.atomic():
        for name in wanted:
            tag = existing.get(name.lower())
            if tag is None:
                tag, _ = Tag.objects.get_or_create(provider_id=scope.provider_id, name=name)
            tags.append(tag)
        current = set(device.tags.values_list("pk", flat=True))
        if current != {tag.pk for tag in tags}:
            device.tags.set(tags)  # the m2m change is audited on the device
    return tags


DEVICE_FIELDS = {"site_id", "display_name", "notes", "tags"}


def update_device(scope: Scope, device: Device, data: Mapping[str, Any]) -> Device:
    """Change what people own about a device: site, display name, notes, tags."""
    scope.require("devices.change")
    _check_in_scope(scope, device)
    unknown = set(data) - DEVICE_FIELDS
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be set here."))
    errors: dict[str, str] = {}
    if "site_id" in data:
        site_id = data["site_id"]
        if (
            site_id is not None
            and not Site.objects.for_scope(scope).filter(pk=site_id, client_id=device.client_id).exists()
        ):
            errors["site"] = "Unknown site for this device's client."
        else:
            device.site_id = site_id
    if "display_name" in data:
        name = " ".join(str(data["display_name"] or "").split())
        if len(name) > 128:
            errors["display_name"] = "At most 128 characters."
        device.display_name = name
    if "notes" in data:
        notes = str(data["notes"] or "")
        if len(notes) > 20_000:
            errors["notes"] = "At most 20,000 characters."
        device.notes = notes
    tags = _tag_names(data["tags"]) if "tags" in data and data["tags"] is not None else None
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        device.save()
        if tags is not None:
            set_tags(scope, device, tags)
    return device


def _revoke(device: Device, reason: str) -> int:
    return DeviceCredential.objects.filter(device=device, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason=reason[:100]
    )


def quarantine(scope: Scope, device: Device, reason: str) -> Device:
    """Cut a device off: mark it quarantined and revoke its agent credential.

    The agent's next check-in is refused; the device stays listed (status "quarantined")
    with its inventory and history until someone releases or deletes it.
    """
    scope.require("devices.quarantine")
    _check_in_scope(scope, device)
    reason = " ".join(str(reason or "").split())
    if not reason:
        raise ValidationError({"reason": "Say why the device is quarantined."})
    if len(reason) > 255:
        raise ValidationError({"reason": "At most 255 characters."})
    with transaction.atomic():
        device.quarantined_at = timezone.now()
        device.quarantine_reason = reason
        device.watch_until = None
        device.save()  # audited: quarantined_at, quarantine_reason
        revoked = _revoke(device, "quarantine")
        if revoked:
            audit.record("device_credentials_revoked", obj=device, changes={"credentials": revoked})
    return device


def release(scope: Scope, device: Device) -> Device:
    """Lift a quarantine. The old credential stays revoked: the agent enrolls again."""
    scope.require("devices.quarantine")
    _check_in_scope(scope, device)
    if device.quarantined_at is not None:
        with transaction.atomic():
            device.quarantined_at = None
            device.quarantine_reason = ""
            device.save()
    return device


def revoke_credentials(scope: Scope, device: Device) -> int:
    """Revoke every active credential of a device: the agent must enroll again."""
    scope.require("devices.quarantine")
    _check_in_scope(scope, device)
    with transaction.atomic():
        revoked = _revoke(device, "revoked by staff")
        audit.record("device_credentials_revoked", obj=device, changes={"credentials": revoked})
    return revoked


def watch(scope: Scope, device: Device, minutes: int = 10) -> Device:
    """Ask for check-ins every ``WATCH_CHECKIN_SECONDS`` for the next ``minutes``."""
    scope.require("devices.change")
    _check_in_scope(scope, device)
    if not isinstance(minutes, int) or not 1 <= minutes <= MAX_WATCH_MINUTES:
        raise ValidationError({"minutes": f"Watch for 1 to {MAX_WATCH_MINUTES} minutes."})
    if device.quarantined_at is not None:
        raise ValidationError("A quarantined device cannot be watched.")
    until = timezone.now() + dt.timedelta(minutes=minutes)
    with transaction.atomic():
        Device.objects.for_scope(scope).filter(pk=device.pk).update(watch_until=until)
        device.watch_until = until
        audit.record(
            "device_watch",
            obj=device,
            changes={"watch_until": until, "interval_seconds": WATCH_CHECKIN_SECONDS},
        )
    return device


def request_inventory(scope: Scope, device: Device) -> Device:
    """Ask the agent for a full inventory at its next check-in."""
    scope.require("devices.change")
    _check_in_scope(scope, device)
    with transaction.atomic():
        Device.objects.for_scope(scope).filter(pk=device.pk).update(want_inventory=True)
        device.want_inventory = True
        audit.record("device_inventory_requested", obj=device)
    return device


def delete_device(scope: Scope, device: Device) -> None:
    """Remove the record with its inventory, history and metrics (audited)."""
    scope.require("devices.delete")
    _check_in_scope(scope, device)
    with transaction.atomic():
        device.delete()


# ---- Groups --------------------------------------------------------------------------


def _group_client(scope: Scope, client_id: int | None) -> Client | None:
    if client_id is None:
        if not scope.all_clients:
            raise ValidationError(
                {"client": "Choose a client: only staff covering all clients make provider-wide groups."}
            )
        return None
    client = Client.objects.for_scope(scope).filter(pk=client_id).first()
    if client is None:
        raise ValidationError({"client": "Unknown client."})
    return client


def _resolve_members(scope: Scope, group: DeviceGroup, device_ids: Iterable[int]) -> list[int]:
    ids = sorted({int(pk) for pk in device_ids})
    if len(ids) > MAX_STATIC_MEMBERS:
        raise ValidationError({"devices": f"A static group holds at most {MAX_STATIC_MEMBERS} devices."})
    devices = Device.objects.for_scope(scope).filter(pk__in=ids)
    if group.client_id is not None:
        devices = devices.filter(client_id=group.client_id)
    found = set(devices.values_list("pk", flat=True))
    missing = [pk for pk in ids if pk not in found]
    if missing:
        where = "of this group's client" if group.client_id else "inside your access"
        shown = ", ".join(str(pk) for pk in missing[:10])
        raise ValidationError({"devices": f"Unknown devices {where}: {shown}."})
    return ids


def _validate_group(group: DeviceGroup) -> None:
    errors: dict[str, str] = {}
    group.name = " ".join(str(group.name or "").split())
    if not group.name or len(group.name) > 100:
        errors["name"] = "Give the group a name of 1 to 100 characters."
    if group.kind not in DeviceGroup.Kind.values:
        errors["kind"] = "Choose static or dynamic."
    if len(group.description or "") > 5000:
        errors["description"] = "At most 5,000 characters."
    if errors:
        raise ValidationError(errors)


GROUP_FIELDS = {"name", "kind", "description", "filter", "client_id", "device_ids"}


def create_group(scope: Scope, data: Mapping[str, Any]) -> DeviceGroup:
    """A static group (``device_ids``) or a dynamic one (``filter``), for a client or, for
    staff covering every client, provider-wide (``client_id`` None)."""
    scope.require("devices.change")
    unknown = set(data) - GROUP_FIELDS
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be set here."))
    client = _group_client(scope, data.get("client_id"))
    group = DeviceGroup(
        provider_id=scope.provider_id,
        client=client,
        name=data.get("name", ""),
        kind=data.get("kind", DeviceGroup.Kind.STATIC),
        description=data.get("description", "") or "",
    )
    _validate_group(group)
    group.filter = clean_filter(data.get("filter") or {}) if group.kind == DeviceGroup.Kind.DYNAMIC else {}
    ids = _resolve_members(scope, group, data.get("device_ids") or []) if group.kind == "static" else []
    with transaction.atomic():
        group.save()
        if ids:
            group.devices.set(ids)
    return group


def update_group(scope: Scope, group: DeviceGroup, data: Mapping[str, Any]) -> DeviceGroup:
    scope.require("devices.change")
    if not DeviceGroup.objects.for_scope(scope).filter(pk=group.pk).exists():
        raise DeviceGroup.DoesNotExist
    unknown = set(data) - (GROUP_FIELDS - {"client_id"})
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be set here."))
    for name in ("name", "kind", "description"):
        if name in data:
            setattr(group, name, data[name] if data[name] is not None else "")
    _validate_group(group)
    if group.kind == DeviceGroup.Kind.DYNAMIC:
        if "filter" in data:
            group.filter = clean_filter(data["filter"] or {})
    else:
        group.filter = {}
    ids = _resolve_members(scope, group, data["device_ids"] or []) if "device_ids" in data else None
    with transaction.atomic():
        group.save()
        if group.kind == DeviceGroup.Kind.DYNAMIC:
            if group.devices.exists():
                group.devices.clear()
        elif ids is not None:
            current = set(group.devices.values_list("pk", flat=True))
            if current != set(ids):
                group.devices.set(ids)
    return group


def delete_group(scope: Scope, group: DeviceGroup) -> None:
    scope.require("devices.change")
    if not DeviceGroup.objects.for_scope(scope).filter(pk=group.pk).exists():
        raise DeviceGroup.DoesNotExist
    with transaction.atomic():
        group.delete()


def devices_by_hostname(scope: Scope, names: Iterable[str], client_id: int | None) -> list[int]:
    """Device ids for hostnames or display names, case-insensitively; unknown names raise."""
    wanted = list(dict.fromkeys(name.strip() for name in names if name.strip()))
    if not wanted:
        return []
    if len(wanted) > MAX_STATIC_MEMBERS:
        raise ValidationError({"devices": f"A static group holds at most {MAX_STATIC_MEMBERS} devices."})
    devices = Device.objects.for_scope(scope)
    if client_id is not None:
        devices = devices.filter(client_id=client_id)
    found: dict[str, set[int]] = {}
    for start in range(0, len(wanted), 200):
        chunk = wanted[start : start + 200]
        match = reduce(or_, (Q(hostname__iexact=name) | Q(display_name__iexact=name) for name in chunk))
        for pk, hostname, display in devices.filter(match).values_list("pk", "hostname", "display_name"):
            for key in {hostname.lower(), display.lower()} - {""}:
                found.setdefault(key, set()).add(pk)
    missing = [name for name in wanted if name.lower() not in found]
    if missing:
        raise ValidationError({"devices": "Unknown devices: " + ", ".join(missing[:10]) + "."})
    return sorted({pk for name in wanted for pk in found[name.lower()]})


def can_manage_group(scope: Scope, group: DeviceGroup) -> bool:
    return scope.can("devices.change") and (group.client_id is not None or scope.all_clients)


def require_manage_group(scope: Scope, group: DeviceGroup) -> None:
    if not can_manage_group(scope, group):
        raise PermissionDenied("You cannot change this group.")
