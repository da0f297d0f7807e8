"""Sign-in, throttling, MFA and API tokens: the security verbs of the core domain."""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import hmac
import secrets
from dataclasses import dataclass

import pyotp
import segno
from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.utils import timezone

from steward.core import audit, crypto
from steward.core.models import ApiToken, Client, LoginThrottle, MfaDevice, RecoveryCode, User
from steward.core.roles import can_assign, permissions_for
from steward.core.scoping import Scope

# A fixed hash to check against when the account does not exist, so the time taken does
# not reveal which e-mail addresses have accounts.
_DUMMY_PASSWORD_HASH = make_password("steward-timing-equaliser")


class SignInOutcome(enum.Enum):
    OK = "ok"
    MFA_REQUIRED = "mfa_required"
    INVALID = "invalid"
    ACCOUNT_LOCKED = "account_locked"
    ADDRESS_THROTTLED = "address_throttled"
    INACTIVE = "inactive"


@dataclass(frozen=True)
class SignInResult:
    outcome: SignInOutcome
    user: User | None = None
    retry_after: int = 0  # seconds until a lock lifts

    @property
    def message(self) -> str:
        minutes = max(1, -(-self.retry_after // 60))
        return {
            SignInOutcome.OK: "",
            SignInOutcome.MFA_REQUIRED: "",
            SignInOutcome.INVALID: "That e-mail and password do not match an account.",
            SignInOutcome.INACTIVE: "That e-mail and password do not match an account.",
            SignInOutcome.ACCOUNT_LOCKED: (
                f"Too many failed sign-ins: this account is locked. Try again in {minutes} minute"
                f"{'s' if minutes != 1 else ''}, or reset your password."
            ),
            SignInOutcome.ADDRESS_THROTTLED: (
                f"Too many failed sign-ins from your network. Try again in {minutes} minute"
                f"{'s' if minutes != 1 else ''}."
            ),
        }[self.outcome]


def _seconds_until(moment: dt.datetime | None) -> int:
    if moment is None:
        return 0
    return max(0, int((moment - timezone.now()).total_seconds()) + 1)


def _address_throttle(ip: str) -> LoginThrottle:
    """The failure counter of a source address, locked for update until the transaction ends."""
    throttle, _ = LoginThrottle.objects.select_for_update().get_or_create(key=f"addr:{ip or 'unknown'}"[:100])
    return throttle


def _count_account_failure(user: User, now: dt.datetime, lockout: dt.timedelta) -> bool:
    """One more failed sign-in for the account; locks it at the limit. True if it is now locked."""
    row = User.unscoped.select_for_update().only("failed_login_count", "locked_until").get(pk=user.pk)
    failures = row.failed_login_count + 1
    locked = failures >= settings.STEWARD_LOGIN_MAX_FAILURES
    user.failed_login_count = 0 if locked else failures
    user.locked_until = now + lockout if locked else row.locked_until
    User.unscoped.filter(pk=user.pk).update(
        failed_login_count=user.failed_login_count, locked_until=user.locked_until
    )
    return locked


def check_credentials(email: str, password: str, *, ip: str) -> SignInResult:
    """First factor. Records failures, applies per-account and per-address lockout."""
    email = (email or "").strip().lower()[:254]
    now = timezone.now()
    lockout = dt.timedelta(seconds=settings.STEWARD_LOGIN_LOCKOUT_SECONDS)
    with transaction.atomic():
        throttle = _address_throttle(ip)
        if throttle.locked_until and throttle.locked_until > now:
            return SignInResult(
                SignInOutcome.ADDRESS_THROTTLED, retry_after=_seconds_until(throttle.locked_until)
            )
        user = User.unscoped.filter(email__iexact=email).select_related("mfa_device").first()
        if user is not None and user.is_locked:
            audit.record("login_blocked", obj=user, changes={"reason": "account locked"})
            return SignInResult(SignInOutcome.ACCOUNT_LOCKED, user, _seconds_until(user.locked_until))
        valid = check_password(password, user.password if user else _DUMMY_PASSWORD_HASH) and user is not None
        if not valid or user is None or not user.is_active:
            address_locked = _count_failure(throttle, now, lockout)
            if user is not None:
                account_locked = _count_account_failure(user, now, lockout)
                audit.record(
                    "login_failed",
                    obj=user,
                    changes={"reason": "inactive" if valid else "bad password", "locked": account_locked},
                )
                if account_locked:
                    return SignInResult(SignInOutcome.ACCOUNT_LOCKED, user, _seconds_until(user.locked_until))
            else:
                audit.record(
                    "login_failed",
                    object_type="core.user",
                    object_repr=email,
                    changes={"reason": "no such account"},
                )
            if address_locked:
                return SignInResult(
                    SignInOutcome.ADDRESS_THROTTLED, retry_after=_seconds_until(throttle.locked_until)
                )
            return SignInResult(SignInOutcome.INACTIVE if valid else SignInOutcome.INVALID)
    if user.has_mfa:
        # The failure count is cleared only once the second factor is through too
        # (record_sign_in), so wrong codes keep counting towards the lockout.
        return SignInResult(SignInOutcome.MFA_REQUIRED, user)
    return SignInResult(SignInOutcome.OK, user)


def _count_failure(throttle: LoginThrottle, now: dt.datetime, lockout: dt.timedelta) -> bool:
    """One more failure from an address; locks it at the limit. True if it is now locked."""
    if now - throttle.window_started > lockout:
        throttle.failures = 0
        throttle.window_started = now
    throttle.failures += 1
    locked = throttle.failures >= settings.STEWARD_LOGIN_MAX_FAILURES_PER_ADDRESS
    if locked:
        throttle.locked_until = now + lockout
        throttle.failures = 0
        throttle.window_started = now
    throttle.save()
    return locked


def record_second_factor_failure(user: User, *, ip: str) -> SignInResult:
    """Too many wrong codes after a correct password: counts as one failed sign-in."""
    now = timezone.now()
    lockout = dt.timedelta(seconds=settings.STEWARD_LOGIN_LOCKOUT_SECONDS)
    with transaction.atomic():
        _count_failure(_address_throttle(ip), now, lockout)
        locked = _count_account_failure(user, now, lockout)
        audit.record("login_failed", obj=user, changes={"reason": "too many wrong codes", "locked": locked})
    if locked:
        return SignInResult(SignInOutcome.ACCOUNT_LOCKED, user, _seconds_until(user.locked_until))
    return SignInResult(SignInOutcome.INVALID, user)


def record_sign_in(user: User, *, method: str) -> None:
    """A completed sign-in (all factors): clears the failure count and audits it."""
    if user.failed_login_count:
        User.unscoped.filter(pk=user.pk).update(failed_login_count=0)
        user.failed_login_count = 0
    where = audit.current_actor()
    audit.record(
        "login",
        obj=user,
        changes={"method": method},
        actor=audit.Actor.for_user(
            user, ip=where.ip, user_agent=where.user_agent, request_id=where.request_id
        ),
    )


def record_password_reset(user: User) -> None:
    """A password set through an e-mailed reset link: lifts any lockout."""
    User.unscoped.filter(pk=user.pk).update(failed_login_count=0, locked_until=None)
    user.failed_login_count = 0
    user.locked_until = None
    audit.record("password_reset", obj=user)


def record_password_change(user: User) -> None:
    audit.record("password_changed", obj=user)


# --- MFA -------------------------------------------------------------------------------

TOTP_ISSUER = "Steward"
RECOVERY_CODE_COUNT = 10


def _seed_context(user: User) -> str:
    return f"user:{user.pk}"


def totp_for(device: MfaDevice) -> pyotp.TOTP:
    seed = crypto.decrypt(device.encrypted_secret, purpose="mfa", context=_seed_context(device.user))
    return pyotp.TOTP(seed)


def pending_mfa_device(user: User) -> MfaDevice | None:
    """The user's authenticator that has not been confirmed yet, if any."""
    return MfaDevice.objects.filter(user=user, confirmed_at__isnull=True).select_related("user").first()


def begin_mfa_enrolment(user: User) -> MfaDevice:
    """Create (or replace an unconfirmed) authenticator secret for the user."""
    MfaDevice.objects.filter(user=user, confirmed_at__isnull=True).delete()
    if MfaDevice.objects.filter(user=user).exists():
        raise ValueError("MFA is already enabled; disable it first to enrol a new authenticator.")
    seed = pyotp.random_base32()
    return MfaDevice.objects.create(
        user=user, encrypted_secret=crypto.encrypt(seed, purpose="mfa", context=_seed_context(user))
    )


def provisioning_uri(device: MfaDevice) -> str:
    return totp_for(device).provisioning_uri(name=device.user.email, issuer_name=TOTP_ISSUER)


def provisioning_qr_svg(device: MfaDevice) -> str:
    """The otpauth:// URI as an inline SVG QR code (no external image, CSP-friendly)."""
    return str(segno.make(provisioning_uri(device), error="m").svg_inline(scale=5, border=2))


def _verify_totp(device: MfaDevice, code: str) -> bool:
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    if len(code) != 6:
        return False
    totp = totp_for(device)
    now = timezone.now()
    for offset in (-1, 0, 1):  # one step of clock drift either way
        at = now + dt.timedelta(seconds=offset * totp.interval)
        step = totp.timecode(at)
        if step > device.last_used_step and hmac.compare_digest(totp.at(at), code):
            # Replay guard: a code is accepted once. The conditional update makes two
            # concurrent requests with the same code race for one row, and only one wins.
            won = MfaDevice.objects.filter(pk=device.pk, last_used_step__lt=step).update(last_used_step=step)
            if won:
                device.last_used_step = step
                return True
            return False
    return False


def confirm_mfa_enrolment(user: User, code: str) -> list[str] | None:
    """Confirm with a first code; returns the recovery codes to show once, or None if wrong."""
    device = MfaDevice.objects.filter(user=user, confirmed_at__isnull=True).first()
    if device is None or not _verify_totp(device, code):
        return None
    with transaction.atomic():
        device.confirmed_at = timezone.now()
        device.save(update_fields=["confirmed_at"])
        codes = regenerate_recovery_codes(user, record_event=False)
        audit.record("mfa_enabled", obj=user)
    return codes


def regenerate_recovery_codes(user: User, *, record_event: bool = True) -> list[str]:
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODE_COUNT)]
    with transaction.atomic():
        RecoveryCode.objects.filter(user=user).delete()
        RecoveryCode.objects.bulk_create(
            RecoveryCode(user=user, code_hash=hashlib.sha256(code.encode()).hexdigest()) for code in codes
        )
        if record_event:
            audit.record("mfa_recovery_codes_regenerated", obj=user)
    return codes


def verify_second_factor(user: User, code: str) -> str | None:
    """Check a TOTP code or an unused recovery code; returns the method used, or None."""
    device = MfaDevice.objects.filter(user=user, confirmed_at__isnull=False).first()
    if device is None:
        return None
    if _verify_totp(device, code):
        return "totp"
    candidate = "".join((code or "").split()).lower()
    if len(candidate) == 12 and "-" not in candidate:
        candidate = f"{candidate[:6]}-{candidate[6:]}"  # typed without the dash
    if len(candidate) == 13 and candidate[6] == "-":
        digest = hashlib.sha256(candidate.encode()).hexdigest()
        updated = RecoveryCode.objects.filter(user=user, code_hash=digest, used_at__isnull=True).update(
            used_at=timezone.now()
        )
        if updated:
            audit.record("mfa_recovery_code_used", obj=user)
            return "recovery_code"
    audit.record("mfa_failed", obj=user)
    return None


def disable_mfa(user: User, *, by: User) -> None:
    with transaction.atomic():
        MfaDevice.objects.filter(user=user).delete()
        RecoveryCode.objects.filter(user=user).delete()
        audit.record("mfa_disabled", obj=user, changes={"by": by.email})


def remaining_recovery_codes(user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


# --- API tokens -------------------------------------------------------------------------

TOKEN_PREFIX = "stw"  # noqa: S105 (the public start of every token, not a secret)
MAX_TOKEN_DAYS = 366


class TokenError(ValueError):
    """A token request that cannot be granted; the message says why."""


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # the full token text: shown once, never stored


def _hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_token(
    user: User,
    *,
    name: str,
    role: str | None = None,
    client_ids: list[int] | None = None,
    days: int = 90,
) -> IssuedToken:
    """Create a token no wider than its owner: same or lesser role, a subset of their clients."""
    scope = Scope.for_user(user)
    scope.require("tokens.use")
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise TokenError("Give the token a name of 1 to 100 characters.")
    role = role or user.role
    if role != user.role and not can_assign(user.role, role):
        raise TokenError(f"You cannot create a token with the role '{role}'.")
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise TokenError(f"A token must expire in 1 to {MAX_TOKEN_DAYS} days.")
    clients: list[Client] = []
    if client_ids:
        clients = list(Client.objects.for_scope(scope).filter(pk__in=client_ids))
        if len(clients) != len(set(client_ids)):
            raise TokenError("Some of those clients are outside your access.")
    prefix = secrets.token_hex(4)
    secret_part = secrets.token_urlsafe(32)
    full = f"{TOKEN_PREFIX}_{prefix}_{secret_part}"
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name,
            prefix=prefix,
            token_hash=_hash_secret(full),
            role=role,
            limit_clients=bool(clients),
            expires_at=timezone.now() + dt.timedelta(days=days),
        )
        if clients:
            token.clients.set(clients)
        audit.record(
            "token_created", obj=token, changes={"role": role, "clients": sorted(c.pk for c in clients)}
        )
    return IssuedToken(token, full)


def revoke_token(token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record("token_revoked", obj=token)


def authenticate_token(presented: str, *, ip: str) -> tuple[ApiToken, Scope] | None:
    """Resolve a presented token to its scope; None when unknown, revoked or expired."""
    parts = (presented or "").strip().split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or len(parts[1]) != 8:
        return None
    token = ApiToken.unscoped.select_related("user").filter(prefix=parts[1]).first()
    if token is None or not hmac.compare_digest(token.token_hash, _hash_secret(presented.strip())):
        return None
    if not token.is_usable:
        return None
    now = timezone.now()
    # Coalesce last-used writes: at most one per minute per token.
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
        ApiToken.unscoped.filter(pk=token.pk).update(last_used_at=now, last_used_ip=ip or None)
        token.last_used_at = now
    return token, token_scope(token)


def token_scope(token: ApiToken) -> Scope:
    """The owner's current scope, narrowed by the token's role and client list."""
    owner_scope = Scope.for_user(token.user)
    scope = owner_scope.narrowed(
        permissions=permissions_for(token.role),
        client_ids=list(token.clients.values_list("pk", flat=True)) if token.limit_clients else None,
    )
    return Scope(
        scope.provider_id, scope.client_ids, scope.permissions, token.user, token, f"token:{token.prefix}"
    )
