"""Signal wiring kept apart from audit.py: security events from django.contrib.auth."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver

from steward.core import audit


@receiver(user_logged_out)
def _record_logout(sender: Any, request: Any, user: Any, **_: Any) -> None:
    if user is not None:
        audit.record("logout", obj=user, actor=audit.current_actor())
