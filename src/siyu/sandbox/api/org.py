"""Departments and members: ``department/list``, ``user/simplelist|list|get``."""

from __future__ import annotations

from sqlalchemy import select

from siyu.sandbox.api.base import Ctx, Json, Registry, integer, text, user
from siyu.sandbox.core import WeComError
from siyu.sandbox.state import Department, User

registry = Registry()


def _departments(ctx: Ctx) -> list[Department]:
    return list(
        ctx.session.scalars(
            select(Department).where(Department.corp_id == ctx.corp_id).order_by(Department.dept_id)
        )
    )


def _subtree(departments: list[Department], root: int) -> set[int]:
    ids = {root}
    changed = True
    while changed:
        changed = False
        for dept in departments:
            if dept.parentid in ids and dept.dept_id not in ids:
                ids.add(dept.dept_id)
                changed = True
    return ids


@registry.get("department/list")
def department_list(ctx: Ctx) -> Json:
    departments = _departments(ctx)
    wanted = {d.dept_id for d in departments}
    if ctx.query.get("id"):
        root = integer(ctx.query, "id")
        if root not in wanted:
            raise WeComError(60123, "invalid party id")
        wanted = _subtree(departments, root)
    return {
        "department": [
            {
                "id": d.dept_id,
                "name": d.name,
                "name_en": d.name_en,
                "department_leader": d.leaders,
                "parentid": d.parentid,
                "order": d.order,
            }
            for d in departments
            if d.dept_id in wanted
        ]
    }


def _members(ctx: Ctx) -> list[User]:
    dept_id = integer(ctx.query, "department_id")
    departments = _departments(ctx)
    if dept_id not in {d.dept_id for d in departments}:
        raise WeComError(60123, "invalid party id")
    wanted = _subtree(departments, dept_id) if ctx.query.get("fetch_child") == "1" else {dept_id}
    users = ctx.session.scalars(
        select(User)
        .where(User.corp_id == ctx.corp_id, User.resigned_at.is_(None))
        .order_by(User.id)
    )
    return [u for u in users if wanted & set(u.departments)]


def user_json(member: User) -> Json:
    """A member as apps created after 2022-06-20 (and 客户联系) read it: WeCom no longer returns
    avatar, gender, mobile, email, biz_mail, personal QR code or address to them (those need
    the member's own OAuth consent), so neither does the sandbox."""
    return {
        "userid": member.userid,
        "name": member.name,
        "department": member.departments,
        "order": [0 for _ in member.departments],
        "position": member.position,
        "is_leader_in_dept": [0 for _ in member.departments],
        "direct_leader": [],
        "telephone": "",
        "alias": "",
        "status": member.status,
        "main_department": member.departments[0] if member.departments else 1,
        "extattr": {"attrs": []},
        "external_position": "",
        "external_profile": {"external_attr": []},
        "open_userid": "",
    }


@registry.get("user/simplelist")
def user_simplelist(ctx: Ctx) -> Json:
    return {
        "userlist": [
            {"userid": u.userid, "name": u.name, "department": u.departments, "open_userid": ""}
            for u in _members(ctx)
        ]
    }


@registry.get("user/list")
def user_list(ctx: Ctx) -> Json:
    return {"userlist": [user_json(u) for u in _members(ctx)]}


@registry.get("user/get")
def user_get(ctx: Ctx) -> Json:
    return user_json(user(ctx, text(ctx.query, "userid", required=True)))
