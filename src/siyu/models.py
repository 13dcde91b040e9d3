"""Every table, imported in one place for Alembic and for ``siyu.db.Base.metadata``."""

from siyu.audit.models import AuditEvent
from siyu.auth.models import ApiToken, LoginFailure, LoginSession
from siyu.jobs import Job
from siyu.staff.models import Department, StaffAccount
from siyu.tenants.models import Tenant
from siyu.users.models import User
from siyu.wecom.models import WeComConnection, WeComEvent, WeComToken

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Department",
    "Job",
    "LoginFailure",
    "LoginSession",
    "StaffAccount",
    "Tenant",
    "User",
    "WeComConnection",
    "WeComEvent",
    "WeComToken",
]
