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


# --- customer groups (客户群), join ways (群活码), group welcome templates -------------------


class GroupChatRef(WeComModel):
    """One group in ``groupchat/list``: status 0 normal, 1 owner left (to inherit), 2 being
    inherited, 3 inherited."""

    chat_id: str
    status: int = 0


class GroupChatList(Reply):
    group_chat_list: list[GroupChatRef] = []
    next_cursor: str = ""


class GroupInvitor(WeComModel):
    userid: str = ""


class GroupChatMember(WeComModel):
    """``type`` 1 a staff member, 2 a customer; ``join_scene`` 1 invited directly, 2 by an
    invitation link, 3 by scanning a group QR code; ``state`` is the join way's, when one."""

    userid: str
    type: int = 2
    unionid: str = ""
    join_time: int = 0
    join_scene: int = 0
    invitor: GroupInvitor | None = None
    group_nickname: str = ""
    name: str = ""
    state: str = ""


class GroupAdmin(WeComModel):
    userid: str


class GroupChatDetail(WeComModel):
    chat_id: str
    name: str = ""
    owner: str = ""
    create_time: int = 0
    notice: str = ""
    member_list: list[GroupChatMember] = []
    admin_list: list[GroupAdmin] = []
    member_version: str = ""


class GroupChatReply(Reply):
    group_chat: GroupChatDetail


class JoinWayCreated(Reply):
    config_id: str


class JoinWay(WeComModel):
    config_id: str
    scene: int = 2
    remark: str = ""
    auto_create_room: int = 1
    room_base_name: str = ""
    room_base_id: int = 0
    chat_id_list: list[str] = []
    qr_code: str = ""
    state: str = ""


class JoinWayReply(Reply):
    join_way: JoinWay


class WelcomeTemplateCreated(Reply):
    template_id: str


class WelcomeTemplateReply(Reply):
    """A group welcome template: text and at most one attachment, each as WeCom shapes it."""

    text: dict[str, str] | None = None
    image: dict[str, str] | None = None
    link: dict[str, str] | None = None
    miniprogram: dict[str, str] | None = None
    file: dict[str, str] | None = None
    video: dict[str, str] | None = None


# --- Moments (客户朋友圈) ---------------------------------------------------------------------


class MomentTaskCreated(Reply):
    jobid: str = Field(min_length=1)


class MomentUsers(WeComModel):
    user_list: list[str] = []
    department_list: list[int] = []


class MomentTags(WeComModel):
    tag_list: list[str] = []


class MomentTaskOutcome(WeComModel):
    errcode: int = 0
    errmsg: str = "ok"
    moment_id: str = ""
    invalid_sender_list: MomentUsers = MomentUsers()
    invalid_external_contact_list: MomentTags = MomentTags()


class MomentTaskResult(Reply):
    """``status`` 1 started, 2 in progress, 3 done (then ``result`` is there)."""

    status: int
    type: str = ""
    result: MomentTaskOutcome | None = None


class MomentText(WeComModel):
    content: str = ""


class MomentListItem(WeComModel):
    moment_id: str
    creator: str = ""
    create_time: int
    create_type: int = 0
    visible_type: int = 1
    text: MomentText = MomentText()


class MomentList(Reply):
    moment_list: list[MomentListItem] = []
    next_cursor: str = ""


class MomentTaskItem(WeComModel):
    userid: str
    publish_status: int


class MomentTaskList(Reply):
    task_list: list[MomentTaskItem] = []
    next_cursor: str = ""


class MomentReaction(WeComModel):
    """Who liked or commented (a customer's ``external_userid`` or a colleague's ``userid``)
    and when."""

    external_userid: str = ""
    userid: str = ""
    create_time: int = 0


class MomentComments(Reply):
    comment_list: list[MomentReaction] = []
    like_list: list[MomentReaction] = []


class MediaUploaded(Reply):
    """``media/upload`` and ``media/upload_attachment``: a media id good for three days."""

    type: str = ""
    media_id: str = Field(min_length=1, max_length=256)
    created_at: int | str = 0


class ImageUploaded(Reply):
    """``media/uploadimg``: a permanent URL for an image."""

    url: str = Field(min_length=1, max_length=1000)
