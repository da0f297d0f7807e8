"""Finding the new content of a reply: quoted history and signatures removed."""

from __future__ import annotations

import re

from .charsets import clean_text
from .html import html_to_text

_ATTRIBUTIONS = [
    re.compile(p, re.IGNORECASE | re.DOTALL)
    for p in (
        r"^\s*On\b.{0,400}\bwrote\s*:$",
        r"^\s*Am\b.{0,400}\bschrieb\b.{0,400}:$",
        r"^\s*Le\b.{0,400}\ba\s+écrit\s*:$",
        r"^\s*Op\b.{0,400}\bschreef\b.{0,400}:$",
        r"^\s*El\b.{0,400}\bescribió\s*:$",
        r"^\s*Il\b.{0,400}\bha\s+scritto\s*:$",
        r"^\s*Den\b.{0,400}\bskrev\b.{0,400}:$",
        r"^.{0,300}<[^<>\s]+@[^<>\s]+>\s*(?:wrote|schrieb|a\s+écrit|skrev|schreef)\s*:$",
    )
]
_ORIGINAL_MESSAGE = re.compile(
    r"^\s*-{2,}\s*(?:original message|ursprüngliche nachricht|originalnachricht|message d'origine"
    r"|oorspronkelijk bericht|originalmeddelande|messaggio originale|mensaje original)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_FORWARDED = re.compile(
    r"^\s*(?:-{2,}\s*(?:forwarded message|weitergeleitete nachricht|message transféré|doorgestuurd bericht"
    r"|mensaje reenviado|messaggio inoltrato)\s*-{2,}|begin forwarded message:|anfang der weitergeleiteten"
    r" nachricht:)\s*$",
    re.IGNORECASE,
)
_LABEL = re.compile(r"^\s*\*?\s*([^\W\d_]+(?: [^\W\d_]+)?)\s*\*?\s*:", re.UNICODE)
_FROM = {"from", "von", "de", "van", "från", "fra", "da", "od", "от"}
_HEADER_LABELS = {
    "sent", "date", "gesendet", "datum", "envoyé", "verzonden", "skickat", "sendt", "inviato",
    "enviado", "fecha", "data", "to", "an", "à", "a", "aan", "till", "til", "para", "cc",
    "subject", "betreff", "objet", "onderwerp", "ämne", "emne", "oggetto", "asunto", "assunto",
}  # fmt: skip
_SEPARATOR = re.compile(r"^[\s_\-=*~]*$")
_MOBILE_SIGNATURE = re.compile(
    r"^\s*(?:sent from my\b|sent from (?:outlook|mail|yahoo|samsung|gmail)\b|sent via\b"
    r"|get outlook for\b|von meinem .{1,40} gesendet|gesendet von meinem\b|gesendet mit\b"
    r"|envoyé de mon\b|envoyé depuis\b|verzonden vanaf mijn\b|skickat från min\b|inviato da\b"
    r"|enviado desde mi\b).{0,80}$",
    re.IGNORECASE,
)
_QUOTED = re.compile(r"^\s*>")
_ATTRIBUTION_START = re.compile(r"^\s*(?:on|am|le|op|el|il|den)\b", re.IGNORECASE)
MAX_LINES = 20_000


def _label(line: str) -> str | None:
    if ":" not in line[:40]:
        return None
    match = _LABEL.match(line)
    return match.group(1).lower() if match else None


def _is_header_block(labels: list[str | None], index: int) -> bool:
    """Outlook's "From: … Sent: … To: … Subject: …" block starts at ``index``."""
    if labels[index] not in _FROM:
        return False
    return len(set(labels[index + 1 : index + 8]) & _HEADER_LABELS) >= 2


def _attribution_span(lines: list[str], index: int) -> int:
    """How many lines (1 to 3) an "On … wrote:" line spans at ``index``; 0 if none."""
    first = lines[index]
    if not _ATTRIBUTION_START.match(first) and "@" not in " ".join(lines[index : index + 3]):
        return 0  # cheap test first: long mails have many lines
    for span in (1, 2, 3):
        if index + span > len(lines) or not lines[index + span - 1].strip():
            return 0
        if not lines[index + span - 1].rstrip().endswith(":"):
            continue  # every attribution ends with a colon
        candidate = " ".join(line.strip() for line in lines[index : index + span])
        if len(candidate) <= 500 and any(p.match(candidate) for p in _ATTRIBUTIONS):
            return span
    return 0


def _next_text_line(lines: list[str], start: int) -> str | None:
    for index in range(start, min(len(lines), start + 50)):
        if lines[index].strip():
            return lines[index]
    return None


def _marker(line: str) -> str | None:
    """ "forwarded" or "original" for a forwarded/original-message separator line."""
    head = line.lstrip()[:1]
    if head not in {"-", "b", "B", "a", "A"}:
        return None  # the cheap test first: long mails have many lines
    if _FORWARDED.match(line):
        return "forwarded"
    return "original" if _ORIGINAL_MESSAGE.match(line) else None


def _cut_history(lines: list[str]) -> tuple[list[str], set[int]]:
    """Drop everything from the first Outlook-style history marker on.

    Returns the remaining lines and the indexes of attribution lines that introduce a
    ">" quote (they belong to that quote block).
    """
    attribution_lines: set[int] = set()
    labels = [_label(line) for line in lines]
    index = 0
    while index < len(lines):
        marker = _marker(lines[index])
        if marker == "forwarded":
            break  # a forwarded mail is content, not history
        if marker == "original" or _is_header_block(labels, index):
            return lines[:index], attribution_lines
        span = _attribution_span(lines, index)
        if span:
            following = _next_text_line(lines, index + span)
            if following is not None and _QUOTED.match(following):
                attribution_lines.update(range(index, index + span))
                index += span
                continue
            if span == 1:
                # An attribution followed by unprefixed text: all of it is history.
                return lines[:index], attribution_lines
        index += 1
    return lines, attribution_lines


def _drop_quote_blocks(lines: list[str], attribution: set[int]) -> list[str]:
    kinds = []
    for i, line in enumerate(lines):
        if i in attribution or _QUOTED.match(line):
            kinds.append("q")
        elif line.strip():
            kinds.append("t")
        else:
            kinds.append("b")
    meaningful = [(i, k) for i, k in enumerate(kinds) if k != "b"]
    if not any(k == "q" for _, k in meaningful):
        return lines
    blocks = sum(
        1 for j, (_, k) in enumerate(meaningful) if k == "q" and (j == 0 or meaningful[j - 1][1] != "q")
    )
    if meaningful[-1][1] == "q":
        # Top-posting: the quote is at the end.
        start = len(meaningful) - 1
        while start > 0 and meaningful[start - 1][1] == "q":
            start -= 1
        return lines[: meaningful[start][0]]
    if blocks == 1 and meaningful[0][1] == "q":
        # Bottom-posting: one quote, then the answer.
        end = 0
        while meaningful[end][1] == "q":
            end += 1
        return lines[meaningful[end][0] :]
    # Inline answers between quotes: the quotes give them meaning, keep them.
    return lines


def _drop_signature(lines: list[str]) -> list[str]:
    for index in range(len(lines) - 1, 0, -1):
        if lines[index] in {"-- ", "--"} and any(line.strip() for line in lines[:index]):
            lines = lines[:index]
            break
    end = len(lines)
    while end and (not lines[end - 1].strip() or _MOBILE_SIGNATURE.match(lines[end - 1])):
        end -= 1
    return lines[:end]


def _trim(lines: list[str]) -> str:
    end = len(lines)
    while end and _SEPARATOR.match(lines[end - 1]):
        end -= 1
    return "\n".join(line.rstrip() for line in lines[:end]).strip("\n")


def strip_reply(text: str) -> str:
    """The new content of a plain-text reply.

    Removes history introduced by "-----Original Message-----", Outlook's
    "From:/Sent:/To:/Subject:" block (English, German, French, …), "On … wrote:" /
    "Am … schrieb …:" / "Le … a écrit :" attributions with their ">" quote, a trailing
    or leading ">" quote, "-- " signatures and "Sent from my iPhone"-style lines.
    Inline answers between quotes keep their quotes. Forwarded messages are kept (they
    are usually the point of the mail). Never returns "" for non-empty input: when
    everything looks quoted, the whole text is returned.
    """
    full = clean_text(text).strip("\n")
    lines = full.split("\n")
    # History markers are looked for near the top only: no person writes more, and the
    # work stays bounded for hostile input.
    head, attribution = _cut_history(lines[:MAX_LINES])
    if len(head) < MAX_LINES or len(lines) <= MAX_LINES:
        lines = head
    lines = _drop_quote_blocks(lines, attribution)
    reply = _trim(_drop_signature(lines))
    return reply if reply.strip() else full.strip()


def strip_reply_html(html: str) -> str:
    """The new content of an HTML-only reply as plain text (quotes removed in the HTML
    first: blockquote, gmail_quote, Outlook's divRplyFwdMsg, …)."""
    reduced = html_to_text(html, skip_quotes=True)
    reply = strip_reply(reduced) if reduced.strip() else ""
    return reply if reply.strip() else strip_reply(html_to_text(html))
