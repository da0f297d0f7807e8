"""HTML from e-mail: sanitizing for display and converting to plain text."""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser
from urllib.parse import unquote

import nh3

from .charsets import clean_text

_ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "del", "div", "em", "font",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "ol", "p",
    "pre", "q", "s", "small", "span", "strike", "strong", "sub", "sup", "table", "tbody",
    "td", "tfoot", "th", "thead", "tr", "tt", "u", "ul",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "ol": {"start"},
}
# Removed together with everything inside them.
_DROP_WITH_CONTENT = {"script", "style", "title", "template", "noscript", "xml", "head", "object"}


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    # Only images carried in the message itself (cid:) are kept: remote images are
    # tracking pixels or worse, and data: URIs can smuggle SVG.
    if tag == "img" and attribute == "src":
        return value if value.strip().lower().startswith("cid:") else None
    return value


_CLEANER = nh3.Cleaner(
    tags=_ALLOWED_TAGS,
    clean_content_tags=_DROP_WITH_CONTENT,
    attributes=_ALLOWED_ATTRIBUTES,
    attribute_filter=_filter_attribute,
    url_schemes={"http", "https", "mailto", "cid"},
    # A relative link in a mail would point into Steward itself when shown there.
    url_relative="deny",
    link_rel="noopener noreferrer nofollow",
    strip_comments=True,
)


def sanitize_html(html: str) -> str:
    """HTML safe to show in Steward: a conservative allow-list, no scripts, styles,
    event handlers, forms, relative links or remote images; ``cid:`` images are kept so
    the caller can point them at the stored inline attachments (see ``replace_cid_urls``)."""
    try:
        return _CLEANER.clean(clean_text(html)).strip()
    except Exception:
        return ""


_CID_SRC = re.compile(r'src="cid:([^"]*)"', re.IGNORECASE)


def replace_cid_urls(sanitized_html: str, url_for: Callable[[str], str | None]) -> str:
    """Point ``cid:`` images at real URLs; ``url_for(content_id)`` returns None to drop one.

    Run this on the output of ``sanitize_html`` only (it relies on its quoting).
    """

    def swap(match: re.Match[str]) -> str:
        url = url_for(unquote(match.group(1)).strip("<>"))
        if not url:
            return 'src=""'
        return 'src="' + url.replace("&", "&amp;").replace('"', "&quot;") + '"'

    return _CID_SRC.sub(swap, sanitized_html)


_BLOCK = {
    "address", "article", "aside", "blockquote", "center", "dd", "div", "dl", "dt", "fieldset",
    "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li",
    "main", "nav", "ol", "p", "pre", "section", "table", "tr", "ul",
}  # fmt: skip
_PARAGRAPH = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "blockquote", "pre"}
_SKIP = {"script", "style", "title", "template", "noscript", "head", "xml"}
_VOID = {"br", "img", "hr", "meta", "link", "input", "area", "base", "col", "embed", "source", "wbr"}
# Containers of quoted history and signatures in the HTML of common mail clients.
_QUOTE_CLASSES = {
    "gmail_quote",
    "gmail_quote_container",
    "gmail_signature",
    "gmail_extra",
    "yahoo_quoted",
    "moz-cite-prefix",
    "moz-signature",
    "protonmail_quote",
    "zmail_extra",
    "outlookmessageheader",
}
# Everything after these (Outlook's reply header) is the quoted message.
_QUOTE_START_IDS = {
    "divrplyfwdmsg",
    "x_divrplyfwdmsg",
    "appendonsend",
    "mail-editor-reference-message-container",
}


class _TextBuilder(HTMLParser):
    def __init__(self, *, skip_quotes: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.skip_quotes = skip_quotes
        self.parts: list[str] = []
        self.skip_tag: str | None = None
        self.skip_depth = 0
        self.stopped = False
        self.pre = 0
        self.quote = 0
        self.lists: list[list[int]] = []  # [kind (0 = ul, 1 = ol), counter]
        self.link: tuple[str, int] | None = None
        self.at_line_start = True

    # -- output helpers
    def newline(self, count: int = 1) -> None:
        if not self.parts:
            return
        tail = "".join(self.parts[-4:])
        have = len(tail) - len(tail.rstrip("\n"))
        if have < count:
            self.parts.append("\n" * (count - have))
        self.at_line_start = True

    def emit(self, text: str, *, keep_indent: bool = False) -> None:
        if not text:
            return
        if self.at_line_start:
            if not self.pre and not keep_indent:
                text = text.lstrip()
                if not text:
                    return
            if self.quote:
                text = "> " * self.quote + text
            self.at_line_start = False
        elif not self.pre and text.startswith(" ") and self.parts and self.parts[-1].endswith(" "):
            text = text.lstrip(" ")
            if not text:
                return
        self.parts.append(text)

    # -- parser callbacks
    def _is_quote(self, tag: str, attrs: list[tuple[str, str | None]]) -> bool:
        if tag == "blockquote":
            return True
        for name, value in attrs:
            if name == "class" and value and _QUOTE_CLASSES & set(value.lower().split()):
                return True
        return False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.stopped:
            return
        if self.skip_tag is not None:
            if tag == self.skip_tag and tag not in _VOID:
                self.skip_depth += 1
            return
        if tag in _SKIP or (self.skip_quotes and self._is_quote(tag, attrs)):
            if tag not in _VOID:
                self.skip_tag, self.skip_depth = tag, 1
            return
        if self.skip_quotes and any(n == "id" and (v or "").lower() in _QUOTE_START_IDS for n, v in attrs):
            self.stopped = True
            return
        attributes = dict(attrs)
        if tag in _BLOCK:
            self.newline(1 if tag not in _PARAGRAPH or (tag in {"ul", "ol"} and self.lists) else 2)
        if tag == "br":
            self.parts.append("\n")
            self.at_line_start = True
        elif tag == "pre":
            self.pre += 1
        elif tag == "blockquote":
            self.quote += 1
        elif tag in {"ul", "ol"}:
            start = attributes.get("start") or "1"
            self.lists.append([1 if tag == "ol" else 0, int(start) if start.isdigit() else 1])
        elif tag == "li":
            indent = "  " * max(len(self.lists) - 1, 0)
            if self.lists and self.lists[-1][0] == 1:
                self.emit(f"{indent}{self.lists[-1][1]}. ", keep_indent=True)
                self.lists[-1][1] += 1
            else:
                self.emit(f"{indent}- ", keep_indent=True)
        elif tag in {"td", "th"} and not self.at_line_start:
            self.emit("  ")
        elif tag == "img":
            alt = (attributes.get("alt") or "").strip()
            if alt:
                self.emit(f"[{alt}]")
        elif tag == "a":
            self.link = (attributes.get("href") or "", len(self.parts))

    def handle_endtag(self, tag: str) -> None:
        if self.stopped:
            return
        if self.skip_tag is not None:
            if tag == self.skip_tag:
                self.skip_depth -= 1
                if self.skip_depth <= 0:
                    self.skip_tag = None
            return
        if tag == "a" and self.link is not None:
            href, start = self.link
            self.link = None
            label = "".join(self.parts[start:]).strip()
            target = href.strip()
            shown = target[7:] if target.lower().startswith("mailto:") else target
            if target.lower().startswith(("http://", "https://", "mailto:")) and shown not in label:
                self.emit(f" ({shown})" if label else shown)
        elif tag == "pre":
            self.pre = max(self.pre - 1, 0)
        elif tag == "blockquote":
            self.quote = max(self.quote - 1, 0)
        elif tag in {"ul", "ol"} and self.lists:
            self.lists.pop()
        if tag in _BLOCK:
            self.newline(1 if tag not in _PARAGRAPH or (tag in {"ul", "ol"} and self.lists) else 2)

    def handle_data(self, data: str) -> None:
        if self.stopped or self.skip_tag is not None:
            return
        if self.pre:
            lines = data.split("\n")
            for index, line in enumerate(lines):
                if index:
                    self.parts.append("\n")
                    self.at_line_start = True
                self.emit(line)
            return
        collapsed = re.sub(r"\s+", " ", data)
        if collapsed.strip() or not self.at_line_start:
            self.emit(collapsed)

    def text(self) -> str:
        lines = [line.rstrip() for line in "".join(self.parts).split("\n")]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


def _fallback_text(html: str) -> str:
    text = re.sub(r"(?is)<(script|style|head)\b.*?</\1\s*>", " ", html)
    text = re.sub(r"(?i)<br\s*/?>|</p\s*>|</div\s*>", "\n", text)
    return re.sub(r"<[^>]*>", "", text)


def html_to_text(html: str, *, skip_quotes: bool = False) -> str:
    """Readable plain text from mail HTML: paragraphs, line breaks, list bullets and
    link targets kept; scripts and styles dropped. With ``skip_quotes``, quoted history
    (blockquotes, gmail_quote, Outlook's divRplyFwdMsg and what follows) is left out."""
    html = clean_text(html)
    builder = _TextBuilder(skip_quotes=skip_quotes)
    try:
        builder.feed(html)
        builder.close()
        return clean_text(builder.text())
    except Exception:
        return clean_text(_fallback_text(html)).strip()
