"""HTML checks shared by the page tests."""

from __future__ import annotations

import re

INLINE_STYLE = re.compile(r"<[^>]+\sstyle\s*=", re.IGNORECASE)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)


def assert_csp_clean(html: str) -> None:
    """No inline styles, inline scripts or on* handlers: the CSP would block them."""
    for pattern in (INLINE_STYLE, INLINE_SCRIPT, INLINE_HANDLER):
        match = pattern.search(html)
        assert match is None, f"CSP violation: {match.group(0) if match else ''}"


def errors_of(response) -> dict[str, list[str]]:
    form = response.context["form"]
    return {name: [str(e) for e in errors] for name, errors in form.errors.items()}
