"""Enrollment tokens for a simulated fleet, made through the real service (needs Django).

Without ``--token``, ``steward simulate`` enrolls its agents into the demo provider (or the
only provider of the install): one token per site of every client that is not offboarded
(a client without sites gets one client-wide token), so the fleet spreads over the clients
and their sites. The token texts are kept in the simulator's state file, so a restarted
simulation reuses them instead of creating new ones every time.
"""

from __future__ import annotations

import json
from pathlib import Path

from steward.devices.simulator.runner import Target

TOKEN_DAYS = 365


class NoProvider(RuntimeError):
    """There is no provider (or no active client) to enroll the simulated fleet into."""


def demo_targets(seed: int, state_file: Path | None = None) -> list[Target]:
    """Targets (tokens) spreading the fleet over the demo clients and their sites."""
    from django.db import close_old_connections, connection
    from django.utils import timezone

    from steward.core import audit
    from steward.core.models import Client, Provider, Site
    from steward.core.scoping import Scope
    from steward.core.services.demo import PROVIDER_SLUG
    from steward.devices.models import EnrollmentToken
    from steward.devices.services.tokens import create_enrollment_token, split_token

    try:
        provider = (
            Provider.objects.filter(slug=PROVIDER_SLUG).first() or Provider.objects.order_by("pk").first()
        )
        if provider is None:
            raise NoProvider("no provider yet: run `steward demo` (or `steward createadmin`) first")
        clients = list(
            Client.unscoped.filter(provider=provider).exclude(status=Client.Status.OFFBOARDED).order_by("pk")
        )
        if not clients:
            raise NoProvider(f"{provider} has no active client to enroll devices into")
        saved = _saved_tokens(state_file)
        scope = Scope.system(provider.pk, label="cli:simulate")
        targets: list[Target] = []
        now = timezone.now()
        with audit.acting_as(audit.Actor.system("cli:simulate")):
            for client in clients:
                sites = list(Site.unscoped.filter(client=client).order_by("pk")) or [None]
                for site in sites:
                    key = f"{client.pk}:{site.pk if site else ''}"
                    text = saved.get(key, "")
                    prefix = split_token(text)
                    usable = (
                        prefix is not None
                        and EnrollmentToken.unscoped.filter(
                            prefix=prefix, revoked_at__isnull=True, expires_at__gt=now
                        ).exists()
                    )
                    if not usable:
                        label = f"{client.short_code}{' / ' + site.name if site else ''}"
                        _token, text = create_enrollment_token(
                            scope,
                            client.pk,
                            site.pk if site else None,
                            f"Simulator (seed {seed}) {label}"[:100],
                            TOKEN_DAYS,
                            None,
                        )
                    saved[key] = text
                    targets.append(Target(text, 1.0, f"{client.name}{' / ' + site.name if site else ''}"))
        _save_tokens(state_file, saved)
        return targets
    finally:
        close_old_connections()
        connection.close()


def _saved_tokens(path: Path | None) -> dict[str, str]:
    if path is None or not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    tokens = data.get("tokens", {}) if isinstance(data, dict) else {}
    return {str(k): str(v) for k, v in tokens.items()}


def _save_tokens(path: Path | None, tokens: dict[str, str]) -> None:
    if path is None:
        return
    from steward.devices.simulator.runner import save_state

    save_state(path, [], {"tokens": tokens})
