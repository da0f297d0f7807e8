from steward.core.models.accounts import LoginThrottle, MfaDevice, RecoveryCode, User
from steward.core.models.audit import AppendOnlyError, AuditChainHead, AuditEntry
from steward.core.models.jobs import SchedulerBeat
from steward.core.models.tenancy import Client, Contact, Provider, Site
from steward.core.models.tokens import ApiToken

__all__ = [
    "ApiToken",
    "AppendOnlyError",
    "AuditChainHead",
    "AuditEntry",
    "Client",
    "Contact",
    "LoginThrottle",
    "MfaDevice",
    "Provider",
    "RecoveryCode",
    "SchedulerBeat",
    "Site",
    "User",
]
