"""A small, reusable list helper: search, whitelisted sorting, filters and pagination.

Views hand it an already *scoped* queryset and describe what may be searched, sorted and
filtered; it reads ``q``, ``sort``, ``page`` and the filter names from the query string.
Anything it does not recognise is ignored with a notice for the page, never an error, and
filters only ever narrow the queryset they were given (so a client id outside the scope
simply matches nothing).

    listing = build_listing(
        request, Site.objects.for_scope(scope).select_related("client"),
        search=("name", "city", "client__name"),
        columns=[Column("Name", "name"), Column("Client", "client", ("client__name",)), Column("Phone")],
        default_sort="name",
        filters=[Filter("client", "Client", "client_id", coerce=int, options=client_options)],
    )
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import reduce
from operator import or_
from typing import Any, Literal

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

PER_PAGE = 50
MAX_SEARCH_LENGTH = 100

Options = Sequence[tuple[str, str]]


@dataclass(frozen=True)
class Column:
    """A table column; sortable when it has a ``key`` (the ``?sort=`` value)."""

    label: str
    key: str = ""
    order_by: tuple[str, ...] = ()  # database ordering for ``key`` (default: the key itself)
    css: str = ""

    @property
    def fields(self) -> tuple[str, ...]:
        return self.order_by or (self.key,)


@dataclass(frozen=True)
class Filter:
    """One query-string filter that narrows the queryset with ``lookup=value``.

    ``options`` (a list or a callable returning one) lists the values offered in the select;
    with ``strict`` only those values are accepted. ``coerce`` turns the raw string into the
    lookup value and raises ``ValueError`` for nonsense. ``describe`` names an accepted value
    that is not among the options (for instance a client beyond the select's limit).
    """

    name: str
    label: str
    lookup: str | Callable[[QuerySet[Any], Any], QuerySet[Any]]
    options: Options | Callable[[], Options] = ()
    coerce: Callable[[str], Any] = str
    strict: bool = False
    widget: Literal["select", "date", "text"] = "select"
    describe: Callable[[Any], str] | None = None
    placeholder: str = ""


@dataclass
class ActiveFilter:
    name: str
    label: str
    widget: str
    value: str
    options: Options
    value_label: str = ""
    placeholder: str = ""


@dataclass
class SortHeader:
    label: str
    key: str
    css: str
    direction: str  # "ascending", "descending" or "" (aria-sort)
    next_sort: str


@dataclass
class Listing:
    page: Page[Any]
    total: int
    q: str
    sort: str
    headers: list[SortHeader]
    filters: list[ActiveFilter]
    notices: list[str] = field(default_factory=list)

    @property
    def rows(self) -> list[Any]:
        return list(self.page.object_list)

    @property
    def is_filtered(self) -> bool:
        return bool(self.q) or any(f.value for f in self.filters)

    @property
    def page_links(self) -> list[int | None]:
        """Page numbers around the current one, with ``None`` for a gap."""
        current, last = self.page.number, self.page.paginator.num_pages
        wanted = {1, last, *range(max(1, current - 2), min(last, current + 2) + 1)}
        links: list[int | None] = []
        previous = 0
        for number in sorted(wanted):
            if number - previous > 1:
                links.append(None)
            links.append(number)
            previous = number
        return links


def start_of_day(value: str) -> dt.datetime:
    """``YYYY-MM-DD`` → that midnight in the current time zone (for ``at__gte``)."""
    day = dt.date.fromisoformat(value)
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def end_of_day(value: str) -> dt.datetime:
    """``YYYY-MM-DD`` → the next midnight (for ``at__lt``), so the whole day is included."""
    return start_of_day(value) + dt.timedelta(days=1)


MAX_ID = 2**63 - 1  # the largest id any supported database stores


def positive_int(value: str) -> int:
    """An id from the query string; nonsense (including numbers no database holds) is refused."""
    if len(value) > 19:
        raise ValueError(value)
    number = int(value)
    if not 1 <= number <= MAX_ID:
        raise ValueError(value)
    return number


def build_listing(
    request: HttpRequest,
    queryset: QuerySet[Any],
    *,
    columns: Sequence[Column],
    default_sort: str,
    search: Sequence[str] = (),
    filters: Sequence[Filter] = (),
    per_page: int = PER_PAGE,
) -> Listing:
    params = request.GET
    notices: list[str] = []

    q = " ".join(params.get("q", "").split())[:MAX_SEARCH_LENGTH]
    if q and search:
        # Every word must match one of the fields: "alpha london" finds Alpha's London site.
        for word in q.split()[:5]:
            queryset = queryset.filter(reduce(or_, (Q(**{f"{name}__icontains": word}) for name in search)))

    active: list[ActiveFilter] = []
    for spec in filters:
        raw = params.get(spec.name, "").strip()[:100]
        options = list(spec.options() if callable(spec.options) else spec.options)
        value_label = ""
        if raw:
            try:
                value = spec.coerce(raw)
                if spec.strict and raw not in {option for option, _ in options}:
                    raise ValueError(raw)
            except (TypeError, ValueError):
                notices.append(f"Ignored the {spec.label.lower()} filter: “{raw}” is not a valid choice.")
                raw = ""
            else:
                if callable(spec.lookup):
                    queryset = spec.lookup(queryset, value)
                else:
                    queryset = queryset.filter(**{spec.lookup: value})
                value_label = next((label for option, label in options if option == raw), "")
                if not value_label and spec.describe is not None:
                    value_label = spec.describe(value)
                    options.append((raw, value_label))
        active.append(
            ActiveFilter(
                spec.name, spec.label, spec.widget, raw, options, value_label or raw, spec.placeholder
            )
        )

    sortable = {column.key: column for column in columns if column.key}
    sort = params.get("sort", "").strip()
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    if sort and key not in sortable:
        notices.append(f"Cannot sort by “{sort[:40]}”; showing the default order.")
        sort = ""
    if not sort:
        sort = default_sort
        descending = sort.startswith("-")
        key = sort.lstrip("-")
    ordering = [f"-{name}" if descending else name for name in sortable[key].fields]
    queryset = queryset.order_by(*ordering, "-pk" if descending else "pk")

    headers = []
    for column in columns:
        direction = ""
        next_sort = column.key
        if column.key and column.key == key:
            direction = "descending" if descending else "ascending"
            next_sort = column.key if descending else f"-{column.key}"
        headers.append(SortHeader(column.label, column.key, column.css, direction, next_sort))

    paginator = Paginator(queryset, per_page)
    try:
        page = paginator.page(params.get("page", "1"))
    except PageNotAnInteger:
        notices.append("That page number is not valid; showing the first page.")
        page = paginator.page(1)
    except EmptyPage:
        page = paginator.page(1 if int(params.get("page", "1")) < 1 else paginator.num_pages)
    return Listing(page, paginator.count, q, sort, headers, active, notices)
