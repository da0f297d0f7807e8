"""Reading the Authentication-Results header (RFC 8601) our receiving server added."""

from __future__ import annotations

import re
from collections.abc import Collection

from .charsets import clean_line
from .model import AuthResults

_COMMENT = re.compile(r"\([^()]*\)")
_RESULT = re.compile(r"^\s*([a-z0-9_.-]+)(?:/[0-9]+)?\s*=\s*([a-z]+)(.*)$", re.IGNORECASE | re.DOTALL)
_PROPERTY = re.compile(r"([a-z]+)\.([a-z0-9_-]+)\s*=\s*(\"[^\"]*\"|[^\s;]+)", re.IGNORECASE)


def _strip_comments(value: str) -> str:
    for _ in range(10):  # nested comments, bounded
        stripped = _COMMENT.sub(" ", value)
        if stripped == value:
            break
        value = stripped
    return value


def _domain(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip('"').lower()
    return value.rpartition("@")[2] or None


def parse_authentication_results(value: str) -> AuthResults:
    segments = _strip_comments(clean_line(value, limit=10_000)).split(";")
    authserv = segments[0].split()
    spf = dkim = dmarc = header_from = spf_domain = None
    dkim_passed: list[str] = []
    for segment in segments[1:]:
        match = _RESULT.match(segment)
        if not match:
            continue
        method, result = match.group(1).lower(), match.group(2).lower()
        props = {f"{p.lower()}.{n.lower()}": v for p, n, v in _PROPERTY.findall(match.group(3))}
        if method == "spf" and spf is None:
            spf = result
            spf_domain = _domain(props.get("smtp.mailfrom") or props.get("smtp.helo"))
        elif method == "dkim":
            if result == "pass":
                domain = _domain(props.get("header.d") or props.get("header.i"))
                if domain:
                    dkim_passed.append(domain)
                dkim = "pass"
            elif dkim is None:
                dkim = result
        elif method == "dmarc" and dmarc is None:
            dmarc = result
            header_from = _domain(props.get("header.from"))
    return AuthResults(
        authserv_id=authserv[0].lower() if authserv else None,
        spf=spf,
        dkim=dkim,
        dmarc=dmarc,
        header_from=header_from,
        spf_domain=spf_domain,
        dkim_domains=tuple(dkim_passed),
    )


def authentication_from_headers(values: list[str], trusted_ids: Collection[str] | None = None) -> AuthResults:
    """The results of the first header from a trusted server.

    Without ``trusted_ids`` only the topmost header counts: it was added by the server
    that delivered to us; deeper ones may have been written by the sender.
    """
    if not values:
        return AuthResults()
    if not trusted_ids:
        return parse_authentication_results(values[0])
    trusted = {t.lower() for t in trusted_ids}
    for value in values:
        parsed = parse_authentication_results(value)
        if parsed.authserv_id in trusted:
            return parsed
    return AuthResults()
