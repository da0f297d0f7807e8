"""Django authentication backend: e-mail + password, case-insensitive, active users only.

Sign-in pages go through services.security.check_credentials (throttling, lockout, MFA);
this backend exists so Django's session machinery can load the user on later requests.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import BaseBackend
from django.http import HttpRequest

from steward.core.models import User


class EmailBackend(BaseBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if not username or not password:
            return None
        user = User.unscoped.filter(email__iexact=username.strip()).first()
        if user is None or not user.is_active or user.is_locked or not user.check_password(password):
            return None
        return user

    def get_user(self, user_id: int) -> User | None:
        user = User.unscoped.filter(pk=user_id, is_active=True).select_related("provider", "client").first()
        return user
