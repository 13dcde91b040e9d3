"""Group codes and welcome templates changed in WeCom, then in Siyu.

Each operation opens short transactions of its own and holds none while WeCom answers (on SQLite
a transaction holds the only write lock, which the shared token cache needs too). The request and
the jobs call these after committing their own work.

``add_join_way`` and ``group_welcome_template/add`` are not idempotent, so the row is written
(``creating`` / no template id) and committed before WeCom is asked; if WeCom refuses, the row is
removed and the error goes back to the operator. A process that dies between WeCom's answer and
the write leaves the row ``creating``: shown as failed, removable, and the way WeCom made for it
is never shown to a customer.
"""

from __future__ import annotations

import contextlib
import logging

from sqlalchemy import select

from siyu import qr
from siyu.auth.principal import Principal
from siyu.db import Database, utcnow
from siyu.errors import NotFound
from siyu.groups import codes, welcomes
from siyu.groups.errors import CodeNotReady
from siyu.groups.models import CODE_ACTIVE, GroupCode, GroupWelcome
from siyu.groups.schemas import GroupCodeEdit, GroupCodeIn, WelcomeIn
from siyu.wecom import service as wecom
from siyu.wecom.client import WeComClient
from siyu.wecom.errors import GoneInWeCom, WeComError, WeComUnavailable

log = logging.getLogger("siyu.groups")


def client_of(database: Database, tenant_id: int) -> WeComClient:
    client = wecom.client_for_tenant(database, tenant_id)
    if client is None:
        raise NotFound("wecom_connection")
    return client


def create_code(database: Database, actor: Principal, data: GroupCodeIn) -> int:
    client = client_of(database, actor.tenant_id)
    with database.transaction() as session:
        code, chat_ids = codes.new_code(session, actor, data)
        config = codes.join_way_config(code, chat_ids)
        code_id = code.id
    try:
        config_id = client.add_join_way(config)
    except Exception:
        with database.transaction() as session:
            session.delete(codes.get(session, actor.tenant_id, code_id))
        raise
    with database.transaction() as session:
        codes.created(session, codes.get(session, actor.tenant_id, code_id), config_id)
    try:
        read_code(database, client, actor.tenant_id, code_id)
    except (WeComError, WeComUnavailable):
        # The code exists in WeCom; its QR code is read again when first downloaded.
        log.warning("group code %s: reading it back from WeCom failed", code_id, exc_info=True)
    return code_id


def read_code(database: Database, client: WeComClient, tenant_id: int, code_id: int) -> None:
    """WeCom's QR code and listing for the code."""
    with database.factory() as session:
        config_id = codes.get(session, tenant_id, code_id).config_id
    if not config_id:
        return
    way = client.get_join_way(config_id)
    with database.transaction() as session:
        codes.apply_join_way(session, codes.get(session, tenant_id, code_id), way)


def _ready(code: GroupCode) -> str:
    if code.status != CODE_ACTIVE or not code.config_id:
        raise CodeNotReady(status=code.status)
    return code.config_id


def edit_code(database: Database, actor: Principal, code_id: int, data: GroupCodeEdit) -> None:
    client = client_of(database, actor.tenant_id)
    with database.factory() as session:
        code = codes.get(session, actor.tenant_id, code_id)
        config_id = _ready(code)
        _groups, config = codes.prepare_edit(session, actor.tenant_id, code, data)
    client.update_join_way(config_id, config)
    with database.transaction() as session:
        code = codes.get(session, actor.tenant_id, code_id)
        groups = codes.usable_groups(session, actor.tenant_id, data.group_ids)
        codes.apply_edit(session, actor, code, data, groups)


def delete_code(database: Database, actor: Principal, code_id: int) -> None:
    with database.factory() as session:
        code = codes.get(session, actor.tenant_id, code_id)
        config_id = code.config_id
    if config_id:
        with contextlib.suppress(GoneInWeCom):  # already gone in WeCom
            client_of(database, actor.tenant_id).del_join_way(config_id)
    with database.transaction() as session:
        codes.mark_deleted(session, actor, codes.get(session, actor.tenant_id, code_id))


def qr_content(database: Database, tenant_id: int, code_id: int) -> str:
    """The link inside the join way's QR image (WeCom's ``qr_code`` is the image's address),
    so Siyu can draw it at any size; the image's address itself if the image cannot be read."""
    with database.factory() as session:
        code = codes.get(session, tenant_id, code_id)
        _ready(code)
        image_url = code.qr_code
    client = client_of(database, tenant_id)
    if not image_url:
        read_code(database, client, tenant_id, code_id)
        with database.factory() as session:
            image_url = codes.get(session, tenant_id, code_id).qr_code
    try:
        inside = qr.decode(client.fetch_image(image_url))
    except WeComUnavailable:
        inside = None
    if inside is None:
        log.warning("group code %s: the QR image at %s could not be read", code_id, image_url)
    return inside or image_url


def swap_full_code(database: Database, tenant_id: int, code_id: int) -> None:
    """A code whose groups are all full gets a group with room, in WeCom and here; with none
    to be had, it is flagged ``full`` for the console to say so."""
    with database.transaction() as session:
        code = session.get(GroupCode, code_id)
        if code is None or code.status != CODE_ACTIVE or code.auto_create or not code.config_id:
            return
        groups = codes.listing(session, [code_id])[code_id]
        if not groups or not all(codes.is_full(g) for g in groups):
            return
        extra = codes.replacement(session, code, groups)
        if extra is None:
            codes.flag_full(code)
            return
        new_listing = codes.swapped_listing(groups, extra)
        config = codes.join_way_config(code, [g.chat_id for g in new_listing])
        config_id = code.config_id
        ids = [g.id for g in new_listing]
    client_of(database, tenant_id).update_join_way(config_id, config)
    with database.transaction() as session:
        code = session.get(GroupCode, code_id)
        assert code is not None
        codes.record_swap(session, code, codes.usable_groups(session, tenant_id, ids))


def read_auto_create_codes(database: Database, tenant_id: int) -> None:
    """Re-read the join ways of codes WeCom opens groups for (their listing grows)."""
    with database.factory() as session:
        ids = list(
            session.scalars(
                select(GroupCode.id).where(
                    GroupCode.tenant_id == tenant_id,
                    GroupCode.status == CODE_ACTIVE,
                    GroupCode.auto_create.is_(True),
                )
            )
        )
    client = client_of(database, tenant_id)
    for code_id in ids:
        read_code(database, client, tenant_id, code_id)


# --- welcome templates ------------------------------------------------------------------------


def create_welcome(database: Database, actor: Principal, data: WelcomeIn) -> int:
    client = client_of(database, actor.tenant_id)
    with database.transaction() as session:
        welcome_id = welcomes.new(session, actor, data).id
    try:
        template_id = client.add_group_welcome_template(welcomes.content(data))
    except Exception:
        with database.transaction() as session:
            session.delete(welcomes.get(session, actor.tenant_id, welcome_id))
        raise
    with database.transaction() as session:
        welcome = welcomes.get(session, actor.tenant_id, welcome_id)
        welcome.template_id, welcome.updated_at = template_id, utcnow()
    return welcome_id


def edit_welcome(database: Database, actor: Principal, welcome_id: int, data: WelcomeIn) -> None:
    client = client_of(database, actor.tenant_id)
    with database.factory() as session:
        template_id = welcomes.get(session, actor.tenant_id, welcome_id).template_id
    if template_id:
        client.edit_group_welcome_template(template_id, welcomes.content(data))
    else:  # WeCom never had it (a creation that died half-way): make it now
        template_id = client.add_group_welcome_template(welcomes.content(data))
    with database.transaction() as session:
        welcome: GroupWelcome = welcomes.get(session, actor.tenant_id, welcome_id)
        welcome.template_id = template_id
        welcomes.edit(session, actor, welcome, data)


def delete_welcome(database: Database, actor: Principal, welcome_id: int) -> None:
    with database.factory() as session:
        welcome = welcomes.get(session, actor.tenant_id, welcome_id)
        welcomes.check_deletable(session, welcome)
        template_id = welcome.template_id
    if template_id:
        try:
            client_of(database, actor.tenant_id).del_group_welcome_template(template_id)
        except WeComError as exc:
            if exc.errcode not in (40058, *GoneInWeCom.errcodes):
                raise
    with database.transaction() as session:
        welcomes.remove(session, actor, welcomes.get(session, actor.tenant_id, welcome_id))
