"""Every table, imported in one place for Alembic and for ``siyu.db.Base.metadata``."""

from siyu.addfriend.models import AddFriendList, AddFriendReject, AddFriendTask
from siyu.audit.models import AuditEvent
from siyu.auth.models import ApiToken, LoginFailure, LoginSession
from siyu.autotag.models import KeywordHit, KeywordRule, KeywordRuleSet
from siyu.broadcasts.models import Broadcast, BroadcastRecipient, BroadcastTask, ReachSettings
from siyu.chats.models import ChatArchiveState, CustomerChatStats
from siyu.codes.models import (
    Acquisition,
    ChannelCode,
    DefaultWelcome,
    LandingVisit,
    WelcomeSend,
)
from siyu.customers.models import (
    ChurnAlert,
    Customer,
    CustomerImport,
    CustomerPhone,
    CustomerSyncRun,
    Follow,
    ImportReject,
    TimelineEvent,
)
from siyu.groups.models import (
    Group,
    GroupCode,
    GroupCodeGroup,
    GroupMember,
    GroupMessageDay,
    GroupSyncRun,
    GroupWelcome,
)
from siyu.invitations.models import Invitation
from siyu.jobs import Job
from siyu.materials.models import Material, MaterialMedia
from siyu.moments.models import MomentPost, MomentResult, MomentSettings
from siyu.playbooks.models import Playbook, PlaybookPost
from siyu.scripts.models import (
    Script,
    ScriptCategory,
    ScriptTask,
    ScriptTaskItem,
    SequenceRun,
    SequenceRunMember,
    SequenceStep,
)
from siyu.scripts.models import Sequence as ScriptSequence
from siyu.segments.models import (
    AudienceChange,
    Segment,
)
from siyu.staff.models import Department, StaffAccount
from siyu.stores.models import MemberStore, Region, StaffRotation, Store, StoreAssignment
from siyu.tags.models import CustomerTag, Tag, TaggingRun, TagGroup, TagWrite
from siyu.tenants.models import Tenant
from siyu.transfers.models import Transfer, TransferItem
from siyu.users.models import User
from siyu.wecom.models import WeComConnection, WeComEvent, WeComToken

__all__ = [
    "Acquisition",
    "AddFriendList",
    "AddFriendReject",
    "AddFriendTask",
    "ApiToken",
    "AudienceChange",
    "AuditEvent",
    "Broadcast",
    "BroadcastRecipient",
    "BroadcastTask",
    "ChannelCode",
    "ChatArchiveState",
    "ChurnAlert",
    "Customer",
    "CustomerChatStats",
    "CustomerImport",
    "CustomerPhone",
    "CustomerSyncRun",
    "CustomerTag",
    "DefaultWelcome",
    "Department",
    "Follow",
    "Group",
    "GroupCode",
    "GroupCodeGroup",
    "GroupMember",
    "GroupMessageDay",
    "GroupSyncRun",
    "GroupWelcome",
    "ImportReject",
    "Invitation",
    "Job",
    "KeywordHit",
    "KeywordRule",
    "KeywordRuleSet",
    "LandingVisit",
    "LoginFailure",
    "LoginSession",
    "Material",
    "MaterialMedia",
    "MemberStore",
    "MomentPost",
    "MomentResult",
    "MomentSettings",
    "Playbook",
    "PlaybookPost",
    "ReachSettings",
    "Region",
    "Script",
    "ScriptCategory",
    "ScriptSequence",
    "ScriptTask",
    "ScriptTaskItem",
    "Segment",
    "SequenceRun",
    "SequenceRunMember",
    "SequenceStep",
    "StaffAccount",
    "StaffRotation",
    "Store",
    "StoreAssignment",
    "Tag",
    "TagGroup",
    "TagWrite",
    "TaggingRun",
    "Tenant",
    "TimelineEvent",
    "Transfer",
    "TransferItem",
    "User",
    "WeComConnection",
    "WeComEvent",
    "WeComToken",
    "WelcomeSend",
]
