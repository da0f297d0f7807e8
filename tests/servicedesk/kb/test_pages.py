"""Knowledge-base pages: staff list, article, editor, history, portal, suggestions, ticket box."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from steward.servicedesk.models import Article
from steward.servicedesk.services import kb
from tests.servicedesk.kb.conftest import Library, admin_scope, open_ticket_for

pytestmark = pytest.mark.django_db

Login = Callable[[Any], HttpClient]
HX = {"HX-Request": "true"}


def _page(http: HttpClient, url: str, data: dict[str, Any] | None = None, status: int = 200) -> str:
    response = http.get(url, data or {})
    assert response.status_code == status, response.content[:500]
    return response.content.decode()


def _no_inline_code(html: str) -> None:
    """The CSP forbids inline scripts and styles: pages must not rely on them."""
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert " style=" not in html and "<style" not in html


# ---- Staff ---------------------------------------------------------------------------


def test_list_search_and_filters(world: Any, library: Library, login_as: Login) -> None:
    http = login_as(world.users["technician_a"])
    html = _page(http, reverse("kb_article_list"))
    _no_inline_code(html)
    for article in (library.global_public, library.global_internal, library.a_public, library.a_internal):
        assert article.title in html
    assert "Bravo" not in html
    html = _page(http, reverse("kb_article_list"), {"q": "printer"})
    assert "Alpha printer guide" in html and "Reset your MFA" not in html
    html = _page(http, reverse("kb_article_list"), {"client": "global"})
    assert "Reset your MFA" in html and "Alpha printer guide" not in html
    html = _page(http, reverse("kb_article_list"), {"visibility": "public"})
    assert "Alpha printer guide" in html and "Alpha firewall notes" not in html
    html = _page(http, reverse("kb_article_list"), {"client": world.client_b.pk})
    assert "Bravo" not in html and "Unknown client" in html
    partial = http.get(reverse("kb_article_list"), {"q": "firewall"}, headers=HX).content.decode()
    assert "Alpha firewall notes" in partial and "<html" not in partial


def test_navigation_entries(world: Any, library: Library, login_as: Login) -> None:
    html = _page(login_as(world.users["technician_a"]), reverse("kb_article_list"))
    assert f'href="{reverse("kb_article_list")}" aria-current="page"' in html
    html = _page(login_as(world.users["end_user_a"]), reverse("portal_kb"))
    assert f'href="{reverse("portal_kb")}" aria-current="page"' in html
    assert f'href="{reverse("kb_article_list")}"' not in html


def test_client_users_are_sent_to_the_portal(world: Any, library: Library, login_as: Login) -> None:
    http = login_as(world.users["client_admin_a"])
    assert http.get(reverse("kb_article_list"))["Location"] == reverse("portal_kb")
    response = http.get(reverse("kb_article_detail", args=[library.a_public.pk]))
    assert response["Location"] == reverse("portal_kb_article", args=[library.a_public.pk])
    assert http.get(reverse("kb_article_detail", args=[library.a_internal.pk])).status_code == 404
    for name in ("kb_article_edit", "kb_article_versions", "kb_article_delete"):
        assert http.get(reverse(name, args=[library.a_public.pk])).status_code == 403
    assert http.get(reverse("kb_article_create")).status_code == 403
    assert http.post(reverse("kb_preview"), {"body": "x"}).status_code == 403


def test_detail_renders_markdown_safely(world: Any, login_as: Login) -> None:
    article = kb.create_article(
        admin_scope(world),
        {"title": "Safe", "body": "**Bold** <script>alert(1)</script> [x](javascript:alert(1))"},
    )
    html = _page(login_as(world.users["technician_all"]), reverse("kb_article_detail", args=[article.pk]))
    _no_inline_code(html)
    assert "<strong>Bold</strong>" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'href="javascript:' not in html
    assert reverse("kb_article_edit", args=[article.pk]) in html


def test_technician_a_sees_global_articles_read_only(world: Any, library: Library, login_as: Login) -> None:
    http = login_as(world.users["technician_a"])
    html = _page(http, reverse("kb_article_detail", args=[library.global_internal.pk]))
    assert reverse("kb_article_edit", args=[library.global_internal.pk]) not in html
    assert http.get(reverse("kb_article_edit", args=[library.global_internal.pk])).status_code == 403
    assert http.get(reverse("kb_article_detail", args=[library.b_public.pk])).status_code == 404


def test_create_form_shows_errors_then_saves(world: Any, login_as: Login) -> None:
    http = login_as(world.users["provider_admin"])
    url = reverse("kb_article_create")
    html = _page(http, url)
    _no_inline_code(html)
    assert "Global — every client" in html
    response = http.post(url, {"title": "", "body": "   ", "visibility": "public", "client": ""})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Please correct the highlighted fields." in html
    assert html.count("errorlist") >= 2
    assert not Article.objects.exists()
    long_title = http.post(url, {"title": "x" * 201, "body": "ok", "visibility": "public"})
    assert "at most 200 characters" in long_title.content.decode()
    response = http.post(
        url, {"title": "Map a drive", "body": "1. Open Explorer", "visibility": "public", "client": ""}
    )
    article = Article.objects.get()
    assert response["Location"] == reverse("kb_article_detail", args=[article.pk])
    assert (article.client_id, article.visibility, article.version) == (None, "public", 1)


def test_create_for_a_limited_technician(world: Any, login_as: Login) -> None:
    http = login_as(world.users["technician_a"])
    html = _page(http, reverse("kb_article_create"))
    assert "Global — every client" not in html
    assert world.client_a.name in html and world.client_b.name not in html
    response = http.post(
        reverse("kb_article_create"),
        {"title": "Sneaky", "body": "x", "visibility": "public", "client": world.client_b.pk},
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    response = http.post(
        reverse("kb_article_create"), {"title": "Global?", "body": "x", "visibility": "public"}
    )
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    assert not Article.objects.exists()


def test_preview_without_saving(world: Any, login_as: Login) -> None:
    http = login_as(world.users["provider_admin"])
    response = http.post(
        reverse("kb_article_create"),
        {"title": "T", "body": "# Heading", "visibility": "public", "preview": "1"},
    )
    assert response.status_code == 200
    assert "<h1>Heading</h1>" in response.content.decode()
    assert not Article.objects.exists()
    fragment = http.post(reverse("kb_preview"), {"body": "*x* <img src=x onerror=alert(1)>"}, headers=HX)
    text = fragment.content.decode()
    assert "<em>x</em>" in text and "<img" not in text and "<html" not in text


def test_edit_saves_a_new_version_and_catches_stale_editors(
    world: Any, library: Library, login_as: Login
) -> None:
    http = login_as(world.users["technician_a"])
    url = reverse("kb_article_edit", args=[library.a_public.pk])
    html = _page(http, url)
    assert 'name="base_version" value="1"' in html
    data = {
        "title": "Alpha printer guide",
        "body": "Updated text",
        "visibility": "public",
        "client": world.client_a.pk,
        "base_version": 1,
    }
    response = http.post(url, data)
    assert response["Location"] == reverse("kb_article_detail", args=[library.a_public.pk])
    assert Article.objects.get(pk=library.a_public.pk).version == 2
    stale = http.post(url, {**data, "body": "Lost update"})
    assert stale.status_code == 200
    assert "Someone saved version 2" in stale.content.decode()
    assert Article.objects.get(pk=library.a_public.pk).body == "Updated text"


def test_history_diff_and_restore(world: Any, library: Library, login_as: Login) -> None:
    scope = admin_scope(world)
    kb.update_article(scope, library.a_public, {"body": "New line <script>alert(1)</script>"})
    http = login_as(world.users["technician_a"])
    html = _page(http, reverse("kb_article_versions", args=[library.a_public.pk]))
    _no_inline_code(html)
    assert reverse("kb_article_restore", args=[library.a_public.pk, 1]) in html
    html = _page(http, reverse("kb_article_version", args=[library.a_public.pk, 2]))
    _no_inline_code(html)
    assert '<tr class="diff-add">' in html and '<tr class="diff-remove">' in html
    assert "New line &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html
    html = _page(http, reverse("kb_article_version", args=[library.a_public.pk, 1]), {"against": "2"})
    assert "compared with version 2" in html
    assert http.get(reverse("kb_article_version", args=[library.a_public.pk, 9])).status_code == 404
    response = http.post(reverse("kb_article_restore", args=[library.a_public.pk, 1]))
    assert response.status_code == 302
    restored = Article.objects.get(pk=library.a_public.pk)
    assert (restored.version, restored.body) == (3, "The Alpha copier prints in colour.")
    assert http.get(reverse("kb_article_restore", args=[library.a_public.pk, 1])).status_code == 405


def test_delete_asks_then_deletes(world: Any, library: Library, login_as: Login) -> None:
    http = login_as(world.users["provider_admin"])
    url = reverse("kb_article_delete", args=[library.b_internal.pk])
    html = _page(http, url)
    assert "saved version" in html
    assert Article.objects.filter(pk=library.b_internal.pk).exists()
    assert http.post(url)["Location"] == reverse("kb_article_list")
    assert not Article.objects.filter(pk=library.b_internal.pk).exists()


# ---- Suggestions and the ticket box ----------------------------------------------------


def test_suggestions_partial(world: Any, library: Library, login_as: Login) -> None:
    http = login_as(world.users["technician_all"])
    html = http.get(reverse("kb_suggest"), {"q": "copier prints"}, headers=HX).content.decode()
    assert "Alpha printer guide" in html and "Bravo printer guide" in html
    html = http.post(
        reverse("kb_suggest"),
        {"subject": "Copier", "body": "it prints nothing", "client": world.client_a.pk},
        headers=HX,
    ).content.decode()
    assert "Alpha printer guide" in html and "Bravo printer guide" not in html
    assert reverse("kb_article_detail", args=[library.a_public.pk]) in html
    empty = http.get(reverse("kb_suggest"), {"q": "please help"}, headers=HX).content.decode()
    assert "These articles may help" not in empty


def test_suggestions_for_a_client_user(world: Any, library: Library, login_as: Login) -> None:
    http = login_as(world.users["end_user_a"])
    html = http.post(
        reverse("kb_suggest"),
        {"subject": "firewall console copier", "description": "MFA", "client": world.client_b.pk},
        headers=HX,
    ).content.decode()
    assert "Alpha printer guide" in html and "Reset your MFA" in html
    assert "firewall notes" not in html and "Bravo" not in html
    assert reverse("portal_kb_article", args=[library.a_public.pk]) in html


def test_ticket_box_for_staff_links_and_unlinks(world: Any, library: Library, login_as: Login) -> None:
    ticket = open_ticket_for(world, world.client_a, subject="Alpha copier prints blank pages")
    http = login_as(world.users["technician_a"])
    html = _page(http, reverse("kb_ticket_articles"), {"ticket": ticket.pk})
    assert "No article linked yet." in html
    assert "Suggested for this ticket" in html and "Alpha printer guide" in html
    assert "Bravo" not in html
    response = http.post(
        reverse("kb_article_link", args=[library.a_public.pk]), {"ticket": f"T-{ticket.pk}"}, headers=HX
    )
    assert response.status_code == 200
    assert 'id="kb-ticket-articles"' in response.content.decode()
    assert list(library.a_public.tickets.all()) == [ticket]
    html = _page(http, reverse("kb_ticket_articles"), {"ticket": ticket.pk, "q": "firewall"})
    assert "Matching articles" in html and "Alpha firewall notes" in html
    # Without htmx: back to the page named by next, with a message.
    response = http.post(
        reverse("kb_article_unlink", args=[library.a_public.pk]), {"ticket": ticket.pk, "next": "/kb/"}
    )
    assert response["Location"] == "/kb/"
    assert not library.a_public.tickets.exists()
    response = http.post(
        reverse("kb_article_link", args=[library.a_public.pk]),
        {"ticket": "999999", "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("kb_article_detail", args=[library.a_public.pk])


def test_ticket_box_refuses_a_mismatched_client(world: Any, library: Library, login_as: Login) -> None:
    ticket = open_ticket_for(world, world.client_a)
    http = login_as(world.users["provider_admin"])
    response = http.post(
        reverse("kb_article_link", args=[library.b_public.pk]), {"ticket": ticket.pk}, headers=HX
    )
    assert "belongs to another client" in response.content.decode()
    assert not library.b_public.tickets.exists()


def test_ticket_box_for_the_requester(world: Any, library: Library, login_as: Login) -> None:
    ticket = open_ticket_for(world, world.client_a, user="end_user_a")
    kb.link(admin_scope(world), library.a_public, ticket)
    kb.link(admin_scope(world), library.a_internal, ticket)
    http = login_as(world.users["end_user_a"])
    html = _page(http, reverse("kb_ticket_articles"), {"ticket": ticket.pk})
    assert "Alpha printer guide" in html and "Alpha firewall notes" not in html
    assert "<form" not in html
    assert (
        http.post(reverse("kb_article_unlink", args=[library.a_public.pk]), {"ticket": ticket.pk}).status_code
        == 403
    )
    assert (
        login_as(world.users["end_user_b"])
        .get(reverse("kb_ticket_articles"), {"ticket": ticket.pk})
        .status_code
        == 404
    )


def test_detail_page_lists_and_links_tickets(world: Any, library: Library, login_as: Login) -> None:
    ticket = open_ticket_for(world, world.client_a, subject="Toner low")
    http = login_as(world.users["technician_a"])
    url = reverse("kb_article_detail", args=[library.a_public.pk])
    response = http.post(
        reverse("kb_article_link", args=[library.a_public.pk]), {"ticket": ticket.pk, "next": url}
    )
    assert response["Location"] == url
    html = _page(http, url)
    assert f"T-{ticket.pk}" in html and "Toner low" in html


# ---- Portal --------------------------------------------------------------------------


def test_portal_search_and_read(world: Any, library: Library, login_as: Login) -> None:
    http = login_as(world.users["end_user_a"])
    html = _page(http, reverse("portal_kb"))
    _no_inline_code(html)
    assert "Reset your MFA" in html and "Alpha printer guide" in html
    assert "Escalation rota" not in html and "firewall" not in html and "Bravo" not in html
    html = _page(http, reverse("portal_kb"), {"q": "printer"})
    assert "1 article found" in html and "Alpha printer guide" in html
    html = _page(http, reverse("portal_kb"), {"q": "nothing-here"})
    assert "Nothing matches" in html
    html = _page(http, reverse("portal_kb_article", args=[library.a_public.pk]))
    _no_inline_code(html)
    assert "The Alpha copier prints in colour." in html
    assert http.get(reverse("portal_kb_article", args=[library.a_internal.pk])).status_code == 404
    assert http.get(reverse("portal_kb_article", args=[library.b_public.pk])).status_code == 404
    assert http.get(reverse("portal_kb"), {"page": "abc"}).status_code == 200


def test_staff_on_the_portal_are_sent_to_the_staff_pages(
    world: Any, library: Library, login_as: Login
) -> None:
    http = login_as(world.users["technician_a"])
    assert http.get(reverse("portal_kb"), {"q": "a b"})["Location"] == reverse("kb_article_list") + "?q=a+b"
    response = http.get(reverse("portal_kb_article", args=[library.a_internal.pk]))
    assert response["Location"] == reverse("kb_article_detail", args=[library.a_internal.pk])
    assert http.get(reverse("portal_kb_article", args=[library.b_internal.pk])).status_code == 404


def test_ticket_page_hook(world: Any, library: Library, rf: Any) -> None:
    from django.template.loader import render_to_string

    from steward.servicedesk.views.kb import ticket_articles_context

    ticket = open_ticket_for(world, world.client_a)
    kb.link(admin_scope(world), library.a_public, ticket)
    lazy = render_to_string("servicedesk/kb/_ticket_suggestions.html", {"ticket": ticket})
    assert f'hx-get="{reverse("kb_ticket_articles")}?ticket={ticket.pk}"' in lazy
    request = rf.get(f"/tickets/{ticket.pk}/")
    request.user = world.users["technician_a"]
    request.htmx = False
    context = ticket_articles_context(request, ticket)
    html = render_to_string("servicedesk/kb/_ticket_suggestions.html", context, request=request)
    assert "Alpha printer guide" in html and reverse("kb_article_unlink", args=[library.a_public.pk]) in html
    assert f'name="next" value="/tickets/{ticket.pk}/"' in html


HUGE = "9" * 30


@pytest.mark.parametrize(
    ("method", "url", "data", "status"),
    [
        ("get", "/kb/100000000000000000000/", {}, 404),
        ("get", "/portal/kb/100000000000000000000/", {}, 404),
        ("get", "/kb/{pk}/versions/100000000000000000000/", {}, 404),
        ("get", "/kb/{pk}/versions/1/", {"against": HUGE}, 200),
        ("get", "/kb/suggest/", {"q": "printer", "client": HUGE}, 200),
        ("post", "/kb/suggest/", {"subject": "printer", "client_id": "-1"}, 200),
        ("get", "/kb/ticket-articles/", {"ticket": HUGE}, 404),
        ("get", "/kb/ticket-articles/", {"ticket": "T-x"}, 404),
        ("get", "/kb/new/", {"client": HUGE}, 200),
        ("get", "/kb/", {"client": HUGE, "page": HUGE}, 200),
        ("post", "/kb/{pk}/link/", {"ticket": HUGE}, 302),
        ("post", "/kb/{pk}/unlink/", {"ticket": "nonsense"}, 302),
    ],
)
def test_nonsense_ids_never_crash(
    world: Any, library: Library, login_as: Login, method: str, url: str, data: dict[str, str], status: int
) -> None:
    http = login_as(world.users["provider_admin"])
    response = getattr(http, method)(url.format(pk=library.a_public.pk), data)
    assert response.status_code == status
