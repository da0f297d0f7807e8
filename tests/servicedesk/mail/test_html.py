"""sanitize_html and html_to_text."""

from __future__ import annotations

import pytest

from steward.servicedesk.mail import html_to_text, replace_cid_urls, sanitize_html


@pytest.mark.parametrize(
    "dangerous",
    [
        "<script>alert(1)</script>",
        '<img src="x" onerror="alert(1)">',
        '<a href="javascript:alert(1)">x</a>',
        '<a href="JaVaScRiPt&colon;alert(1)">x</a>',
        '<a href="/admin/delete-everything">x</a>',
        '<img src="https://tracker.example/p.gif">',
        '<img src="data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=">',
        '<iframe src="https://evil.example"></iframe>',
        "<style>body{display:none}</style>",
        '<div style="background:url(https://evil.example/x)">x</div>',
        '<form action="https://evil.example"><input name="pw"></form>',
        "<svg><script>alert(1)</script></svg>",
        '<meta http-equiv="refresh" content="0;url=https://evil.example">',
        '<object data="https://evil.example/x.swf"></object>',
        '<base href="https://evil.example/">',
        "<!-- <script>alert(1)</script> -->",
    ],
)
def test_dangerous_html_is_neutralised(dangerous: str) -> None:
    cleaned = sanitize_html(f"<p>before</p>{dangerous}<p>after</p>").lower()
    for marker in ("script", "onerror", "javascript", "/admin", "tracker", "data:", "iframe", "style",
                   "evil", "<form", "<input", "<meta", "<object", "<base", "alert"):  # fmt: skip
        assert marker not in cleaned, (dangerous, cleaned)
    assert "before" in cleaned and "after" in cleaned


def test_harmless_formatting_and_cid_images_are_kept() -> None:
    html = (
        '<p>Hi <b>bold</b> <i>it</i> <a href="https://ok.example/a?b=1&amp;c=2" title="t">link</a>'
        ' <a href="mailto:x@y.example">mail</a></p><table><tr><td colspan="2">cell</td></tr></table>'
        '<img src="cid:logo@x" alt="Logo" width="10">'
    )
    cleaned = sanitize_html(html)
    assert "<b>bold</b>" in cleaned and "<i>it</i>" in cleaned
    assert 'href="https://ok.example/a?b=1&amp;c=2"' in cleaned
    assert 'rel="noopener noreferrer nofollow"' in cleaned
    assert 'href="mailto:x@y.example"' in cleaned
    assert '<td colspan="2">cell</td>' in cleaned
    assert '<img src="cid:logo@x" alt="Logo" width="10">' in cleaned


def test_replace_cid_urls() -> None:
    cleaned = sanitize_html('<img src="cid:a%40b"><img src="cid:unknown">')
    result = replace_cid_urls(cleaned, lambda cid: "/files/1" if cid == "a@b" else None)
    assert result == '<img src="/files/1"><img src="">'


def test_html_to_text_structure() -> None:
    html = (
        "<h1>Title</h1><p>First paragraph with   extra\n spaces.</p><p>Line one<br>Line two</p>"
        "<ul><li>apple</li><li>pear<ul><li>nested</li></ul></li></ul>"
        '<ol start="3"><li>third</li><li>fourth</li></ol>'
        '<p>See <a href="https://docs.example/x">the docs</a> or <a href="https://same.example">https://same.example</a>'
        ' or <a href="mailto:help@x.example">help@x.example</a>.</p>'
        "<pre>  indented\n    code</pre><blockquote>quoted<br>twice</blockquote>"
        "<p>5 &lt; 6 &amp; caf&eacute; &#8364;</p><table><tr><td>a</td><td>b</td></tr></table>"
    )
    assert html_to_text(html) == (
        "Title\n\nFirst paragraph with extra spaces.\n\nLine one\nLine two\n\n"
        "- apple\n- pear\n  - nested\n\n3. third\n4. fourth\n\n"
        "See the docs (https://docs.example/x) or https://same.example or help@x.example.\n\n"
        "  indented\n    code\n\n> quoted\n> twice\n\n5 < 6 & café €\n\na  b"
    )


def test_html_to_text_drops_invisible_content() -> None:
    html = (
        "<html><head><title>T</title><style>p{}</style></head>"
        "<body><script>x()</script>Hi<noscript>n</noscript></body>"
    )
    assert html_to_text(html) == "Hi"


@pytest.mark.parametrize(
    "broken", ["<p>unclosed <b>bold", "<<<>>>", "<!DOCTYPE", "</p></div>text", "<a href='x'"]
)
def test_html_to_text_survives_broken_markup(broken: str) -> None:
    html_to_text(broken).encode("utf-8")
