"""Who is acting: a signed-in user or an integrator's API token, always within one tenant."""

from __future__ import annotations

from dataclasses import dataclass, field

from siyu.auth.permissions import Permission, Role
from siyu.i18n import DEFAULT_LOCALE, Locale


@dataclass(frozen=True)
class Principal:
    tenant_id: int
    label: str
    permissions: frozenset[Permission]
    user_id: int | None = None
    token_id: int | None = None
    role: Role | None = None
    ip: str | None = None
    locale: Locale = DEFAULT_LOCALE
    csrf_token: str | None = field(default=None, repr=False)

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions


def system_principal(tenant_id: int, label: str = "system") -> Principal:
    """Siyu itself acting (seeding, jobs): audited under its own label."""
    return Principal(tenant_id=tenant_id, label=label, permissions=frozenset(Permission))
