"""Markdown renders to safe HTML: no script, no handlers, no dangerous URLs, no styles."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from steward.servicedesk.services.kb import render_markdown, sanitize_html

ATTACKS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](java\tscript:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x]( javascript:alert(1) )",
    "<img src=x onerror=alert(1)>",
    '![x](https://example.com/x.png "a" onerror="alert(1)")',
    "![x](data:image/png;base64,iVBORw0KGgo=)",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<a href='javascript:alert(1)'>x</a>",
    "<iframe src='https://evil.example'></iframe>",
    "<div style='background:url(javascript:alert(1))'>x</div>",
    "<svg onload=alert(1)>",
    "<!-- <script>alert(1)</script> -->",
    "[ref]\n\n[ref]: javascript:alert(1)",
    '<https://example.com/" onmouseover="alert(1)>',
    "| a |\n|:-:|\n| <script>alert(1)</script> |",
]


class _Elements(HTMLParser):
    """Every element and attribute a browser would build from the HTML (text is ignored)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {name: value or "" for name, value in attrs}))


def elements(html: str) -> list[tuple[str, dict[str, str]]]:
    parser = _Elements()
    parser.feed(html)
    parser.close()
    return parser.elements


SAFE_TAGS = {"p", "a", "img", "table", "thead", "tbody", "tr", "th", "td"}


@pytest.mark.parametrize("source", ATTACKS)
def test_attacks_render_inert(source: str) -> None:
    html = str(render_markdown(source))
    for tag, attrs in elements(html):
        assert tag in SAFE_TAGS, html
        assert not any(name.startswith("on") for name in attrs), html
        assert "style" not in attrs, html
        for name in ("href", "src"):
            if name in attrs:
                url = re.sub(r"[\x00-\x20]", "", attrs[name]).lower()
                assert url.startswith(("https:", "http:", "mailto:", "/", "#")), html
    assert "<script" not in html.lower()


def test_the_attacks_are_really_escaped_text() -> None:
    """The inert check above parses real elements: show it would see an unsafe one."""
    assert elements('<img src=x onerror="alert(1)">') == [("img", {"src": "x", "onerror": "alert(1)"})]
    assert elements("<p>&lt;img src=x onerror=alert(1)&gt;</p>") == [("p", {})]


def test_raw_html_is_shown_as_text() -> None:
    html = str(render_markdown("Press <b>OK</b> & continue"))
    assert html == "<p>Press &lt;b&gt;OK&lt;/b&gt; &amp; continue</p>\n"


def test_ordinary_markdown_survives() -> None:
    html = str(
        render_markdown(
            "# Title\n\nSome **bold**, *italic* and `code`.\n\n- one\n- two\n\n"
            "1. first\n\n> quote\n\n```\nprint(1)\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n~~old~~"
        )
    )
    for fragment in (
        "<h1>Title</h1>",
        "<strong>bold</strong>",
        "<em>italic</em>",
        "<code>code</code>",
        "<li>one</li>",
        "<ol>",
        "<blockquote>",
        "<pre><code>print(1)",
        "<table>",
        "<td>2</td>",
        "<s>old</s>",
    ):
        assert fragment in html, fragment


def test_links_get_safe_rel_and_keep_allowed_schemes() -> None:
    html = str(render_markdown("[a](https://example.com) [b](mailto:help@example.com) [c](/kb/1/) [d](#top)"))
    assert html.count('rel="noopener noreferrer nofollow"') == 4
    for url in ("https://example.com", "mailto:help@example.com", "/kb/1/", "#top"):
        assert f'href="{url}"' in html


def test_image_from_https_is_kept_without_handlers() -> None:
    html = str(render_markdown("![diagram](https://example.com/d.png)"))
    assert '<img src="https://example.com/d.png" alt="diagram">' in html


def test_table_alignment_styles_are_dropped() -> None:
    html = str(render_markdown("| a | b |\n|:--|--:|\n| 1 | 2 |"))
    assert "<th>a</th>" in html
    assert "style" not in html


def test_empty_body() -> None:
    assert str(render_markdown("")) == ""


RAW_HTML = [
    '<img src="x" onerror="alert(1)">',
    '<a href="javascript:alert(1)" onclick="alert(1)">x</a>',
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    '<img src="data:image/svg+xml;base64,PHN2Zz4=">',
    "<script>alert(1)</script><style>body{}</style>",
    '<p style="color:red" class="x" id="y">text</p>',
    "<iframe src=https://evil.example></iframe><object data=x></object><form><input></form>",
]


@pytest.mark.parametrize("source", RAW_HTML)
def test_the_sanitiser_alone_also_stops_raw_html(source: str) -> None:
    """Even if raw HTML ever reached it (Markdown already escapes it), nh3 strips the danger."""
    html = sanitize_html(source)
    for tag, attrs in elements(html):
        assert tag in {"p", "a", "img"}, html
        assert set(attrs) <= {"href", "src", "alt", "title", "rel"}, html
        for name in ("href", "src"):
            assert not attrs.get(name, "").lower().startswith(("javascript:", "data:")), html
    assert "<script" not in html.lower()
    assert "body{}" not in html
