"""The image material of a group code's QR, attached to the code's invitations.

Made once per code: the join way's link (read from WeCom's QR image, see
:func:`siyu.groups.wecom_ops.qr_content`) drawn again by :mod:`siyu.qr` as a PNG and kept in the
material library. Later invitations on the same code reuse it while it is in the library. WeCom
is asked outside any transaction; the material is written in a short one of its own.
"""

from __future__ import annotations

import io

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu import qr
from siyu.db import Database
from siyu.groups import codes, wecom_ops
from siyu.invitations.errors import CodeNotLive
from siyu.invitations.models import Invitation
from siyu.materials import service as materials
from siyu.materials.models import Material

IMAGE = "image"
PIXELS = "web"


def reusable(session: Session, tenant_id: int, code_id: int) -> int | None:
    """The QR image an earlier invitation on this code attached, if still in the library."""
    found = session.scalar(
        select(Material.id)
        .join(Invitation, Invitation.material_id == Material.id)
        .where(
            Invitation.tenant_id == tenant_id,
            Invitation.code_id == code_id,
            Material.tenant_id == tenant_id,
            Material.kind == IMAGE,
            Material.archived.is_(False),
        )
        .order_by(Invitation.id.desc())
        .limit(1)
    )
    return int(found) if found is not None else None


def material_for(database: Database, tenant_id: int, code_id: int, created_by: int | None) -> int:
    """The id of the code's QR image material: reused, or drawn and stored now."""
    with database.factory() as session:
        found = reusable(session, tenant_id, code_id)
    if found is not None:
        return found
    content = wecom_ops.qr_content(database, tenant_id, code_id)
    if not content:
        raise CodeNotLive(status="no QR code")
    image = qr.render(content, "png", PIXELS)
    with database.transaction() as session:
        name = codes.get(session, tenant_id, code_id).name
        material = materials.create_file(
            session,
            tenant_id,
            kind=IMAGE,
            stream=io.BytesIO(image.content),
            filename=f"group-code-{code_id}.png",
            title=f"{name} 二维码"[:100],
            description="拉群邀请附带的群活码二维码 / the group code's QR for group invitations",
            category="群活码",
            created_by=created_by,
        )
        return material.id
