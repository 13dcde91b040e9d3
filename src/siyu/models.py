"""Every table, imported in one place for Alembic and for ``siyu.db.Base.metadata``."""

from siyu.audit.models import AuditEvent
from siyu.auth.models import ApiToken, LoginFailure, LoginSession
from siyu.customers.models import (
    ChurnAlert,
    Customer,
    CustomerPhone,
    CustomerSyncRun,
    Follow,
    TimelineEvent,
)
from siyu.jobs import Job
from siyu.staff.models import Department, StaffAccount
from siyu.tags.models import CustomerTag, Tag, TagGroup, TagWrite
from siyu.tenants.models import Tenant
from siyu.users.models import User
from siyu.wecom.models import WeComConnection, WeComEvent, WeComToken

__all__ = [
    "ApiToken",
    "AuditEvent",
    "ChurnAlert",
    "Customer",
    "CustomerPhone",
    "CustomerSyncRun",
    "CustomerTag",
    "Department",
    "Follow",
    "Job",
    "LoginFailure",
    "LoginSession",
    "StaffAccount",
    "Tag",
    "TagGroup",
    "TagWrite",
    "Tenant",
    "TimelineEvent",
    "User",
    "WeComConnection",
    "WeComEvent",
    "WeComToken",
]
