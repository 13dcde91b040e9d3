"""WeCom's response shapes, as pydantic models. Unknown extra fields are ignored (WeCom adds
fields over time); a missing or mistyped field we rely on is an error naming endpoint and field."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class WeComModel(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class Reply(WeComModel):
    errcode: int = 0
    errmsg: str = "ok"


class TokenReply(Reply):
    access_token: str = Field(min_length=1, max_length=512)
    expires_in: int


class Department(WeComModel):
    id: int
    name: str
    parentid: int = 0
    order: int = 0


class DepartmentList(Reply):
    department: list[Department]


class Member(WeComModel):
    """A member as ``user/list`` returns it to apps created after 2022-06-20 (no phone, email
    or avatar: those need the member's own consent)."""

    userid: str
    name: str
    department: list[int] = []
    position: str = ""
    main_department: int | None = None
    status: int = 1  # 1 active, 2 disabled, 4 not yet activated, 5 left


class MemberList(Reply):
    userlist: list[Member]


class FollowUserList(Reply):
    follow_user: list[str]


class ExternalUserIdList(Reply):
    external_userid: list[str]


class ExternalContact(WeComModel):
    external_userid: str
    name: str
    type: int = 1
    gender: int = 0
    avatar: str = ""
    unionid: str = ""
    corp_name: str = ""


class FollowTag(WeComModel):
    group_name: str = ""
    tag_name: str = ""
    tag_id: str = ""
    type: int = 1


class _Follow(WeComModel):
    """A customer's friendship with one member, as ``get`` and ``batch/get_by_user`` tell it."""

    userid: str
    remark: str = ""
    description: str = ""
    createtime: int
    remark_mobiles: list[str] = []
    add_way: int = 0
    state: str = ""
    oper_userid: str = ""


class FollowUser(_Follow):
    """In ``externalcontact/get``: the tags with their names."""

    tags: list[FollowTag] = []


class ExternalContactDetail(Reply):
    external_contact: ExternalContact
    follow_user: list[FollowUser] = []
    next_cursor: str = ""


class FollowInfo(_Follow):
    """In ``batch/get_by_user``: tag ids only."""

    tag_id: list[str] = []


class ContactWithFollow(WeComModel):
    external_contact: ExternalContact
    follow_info: FollowInfo


class ContactsByUser(Reply):
    external_contact_list: list[ContactWithFollow]
    next_cursor: str = ""


class CorpTag(WeComModel):
    id: str
    name: str
    create_time: int = 0
    order: int = 0
    deleted: bool = False


class CorpTagGroup(WeComModel):
    group_id: str
    group_name: str
    create_time: int = 0
    order: int = 0
    deleted: bool = False
    tag: list[CorpTag] = []


class CorpTagList(Reply):
    tag_group: list[CorpTagGroup]


class AddedTagGroup(Reply):
    tag_group: CorpTagGroup


class ContactWayCreated(Reply):
    config_id: str
    qr_code: str = ""


class TransferOutcome(WeComModel):
    """One customer in the answer of ``transfer_customer``: errcode 0 means the transfer began."""

    external_userid: str
    errcode: int = 0


class TransferStarted(Reply):
    customer: list[TransferOutcome] = []


class TransferStatus(WeComModel):
    """One customer in ``transfer_result``: status 1 done, 2 waiting, 3 refused by the customer,
    4 the takeover's customer limit reached, 5 no transfer record."""

    external_userid: str
    status: int
    takeover_time: int = 0


class TransferResults(Reply):
    customer: list[TransferStatus] = []
    next_cursor: str = ""


class UnassignedCustomer(WeComModel):
    handover_userid: str
    external_userid: str
    dimission_time: int = 0


class UnassignedList(Reply):
    info: list[UnassignedCustomer] = []
    is_last: bool = True
    next_cursor: str = ""


# --- contact ways (联系我) and welcome messages -----------------------------------------------


class ContactWayAdded(Reply):
    config_id: str = Field(min_length=1)
    qr_code: str = ""


class ContactWay(WeComModel):
    config_id: str
    type: int = 2
    scene: int = 2
    remark: str = ""
    skip_verify: bool = True
    state: str = ""
    qr_code: str = ""
    user: list[str] = []
    party: list[int] = []


class ContactWayGot(Reply):
    contact_way: ContactWay


class ContactWayId(WeComModel):
    config_id: str


class ContactWayList(Reply):
    contact_way: list[ContactWayId] = []
    next_cursor: str = ""
