"""Keyword rules over HTTP: the rules with their hit counts, and each rule's recent hits."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status
from fastapi.responses import Response

from siyu.api.deps import DbSession, Paging, require
from siyu.api.errors import responses
from siyu.audit import service as audit
from siyu.auth.api import AUTH
from siyu.auth.permissions import Permission
from siyu.auth.principal import Principal
from siyu.autotag import keywords_service as service
from siyu.autotag.errors import UnknownTags
from siyu.autotag.models import KeywordRule
from siyu.autotag.schemas import HitOut, HitPage, RuleIn, RuleOut, RulePage, RulePatch
from siyu.errors import NotFound

router = APIRouter(tags=["keyword rules"])

Read = Annotated[Principal, Depends(require(Permission.AUTOTAG_READ))]
Manage = Annotated[Principal, Depends(require(Permission.AUTOTAG_MANAGE))]


def _outs(session: DbSession, tenant_id: int, rules: list[KeywordRule]) -> list[RuleOut]:
    counts = service.counts(session, tenant_id, [r.id for r in rules])
    return [
        RuleOut(
            id=r.id,
            name=r.name,
            keywords=list(r.keywords),
            match_mode=r.match_mode,
            side=r.side,
            tag_ids=list(r.tag_ids),
            enabled=r.enabled,
            hits=counts.get(r.id, service.RuleCounts()).hits,
            customers=counts.get(r.id, service.RuleCounts()).customers,
            last_hit_at=counts.get(r.id, service.RuleCounts()).last_hit_at,
            created_at=r.created_at,
            updated_at=r.updated_at,
        )
        for r in rules
    ]


def _snapshot(rule: KeywordRule) -> dict[str, object]:
    return {
        "name": rule.name,
        "keywords": len(rule.keywords),
        "match_mode": rule.match_mode,
        "side": rule.side,
        "tag_ids": list(rule.tag_ids),
        "enabled": rule.enabled,
    }


@router.get("/keyword-rules", operation_id="listKeywordRules", responses=responses(*AUTH))
def list_rules(
    session: DbSession,
    principal: Read,
    paging: Paging,
    search: Annotated[str, Query(max_length=60)] = "",
) -> RulePage:
    rules, total = service.page(
        session, principal.tenant_id, search=search, offset=paging.offset, limit=paging.page_size
    )
    return RulePage(
        items=_outs(session, principal.tenant_id, rules),
        total=total,
        page=paging.page,
        page_size=paging.page_size,
    )


@router.post(
    "/keyword-rules",
    operation_id="createKeywordRule",
    status_code=status.HTTP_201_CREATED,
    responses=responses(*AUTH, UnknownTags),
)
def create_rule(session: DbSession, principal: Manage, body: RuleIn) -> RuleOut:
    """A rule tags the customer of every message that has one of its keywords, from the next
    page of the chat archive on."""
    rule = service.create_rule(session, principal.tenant_id, body, created_by=principal.user_id)
    audit.record(
        session,
        principal,
        "keyword_rules.create",
        entity_type="keyword_rule",
        entity_id=rule.id,
        after=_snapshot(rule),
    )
    return _outs(session, principal.tenant_id, [rule])[0]


@router.get(
    "/keyword-rules/{keyword_rule_id}",
    operation_id="getKeywordRule",
    responses=responses(*AUTH, NotFound),
)
def get_rule(session: DbSession, principal: Read, keyword_rule_id: int) -> RuleOut:
    rule = service.get(session, principal.tenant_id, keyword_rule_id)
    return _outs(session, principal.tenant_id, [rule])[0]


@router.patch(
    "/keyword-rules/{keyword_rule_id}",
    operation_id="updateKeywordRule",
    responses=responses(*AUTH, NotFound, UnknownTags),
)
def update_rule(
    session: DbSession, principal: Manage, keyword_rule_id: int, body: RulePatch
) -> RuleOut:
    rule = service.get(session, principal.tenant_id, keyword_rule_id)
    before = _snapshot(rule)
    service.update_rule(session, rule, body)
    audit.record(
        session,
        principal,
        "keyword_rules.update",
        entity_type="keyword_rule",
        entity_id=rule.id,
        before=before,
        after=_snapshot(rule),
    )
    return _outs(session, principal.tenant_id, [rule])[0]


@router.delete(
    "/keyword-rules/{keyword_rule_id}",
    operation_id="deleteKeywordRule",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(*AUTH, NotFound),
)
def delete_rule(session: DbSession, principal: Manage, keyword_rule_id: int) -> Response:
    """Delete a rule and its hits; the tags it gave stay on the customers."""
    rule = service.get(session, principal.tenant_id, keyword_rule_id)
    before = _snapshot(rule)
    service.delete_rule(session, rule)
    audit.record(
        session,
        principal,
        "keyword_rules.delete",
        entity_type="keyword_rule",
        entity_id=keyword_rule_id,
        before=before,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/keyword-rules/{keyword_rule_id}/hits",
    operation_id="listKeywordRuleHits",
    responses=responses(*AUTH, NotFound),
)
def list_hits(session: DbSession, principal: Read, paging: Paging, keyword_rule_id: int) -> HitPage:
    """The rule's hits, newest first: who, which keyword, and the message around it."""
    rule = service.get(session, principal.tenant_id, keyword_rule_id)
    rows, total = service.hits(session, rule, offset=paging.offset, limit=paging.page_size)
    return HitPage(
        items=[
            HitOut(
                id=hit.id,
                customer_id=hit.customer_id,
                customer_name=name,
                keyword=hit.keyword,
                side=hit.side,
                excerpt=hit.excerpt,
                msgid=hit.msgid,
                at=hit.at,
            )
            for hit, name in rows
        ],
        total=total,
        page=paging.page,
        page_size=paging.page_size,
    )
