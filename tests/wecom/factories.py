from __future__ import annotations

from sqlalchemy.orm import Session

from siyu.auth.principal import system_principal
from siyu.tenants.models import Tenant
from siyu.wecom import service
from siyu.wecom.crypto import CallbackCrypto
from siyu.wecom.models import WeComConnection
from siyu.wecom.schemas_api import ConnectionIn

CALLBACK_TOKEN = "SiyuCallbackToken01"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


def connect(session: Session, tenant: Tenant, corp_id: str = "wwsiyutest0001") -> WeComConnection:
    return service.save(
        session,
        system_principal(tenant.id),
        ConnectionIn(
            corp_id=corp_id,
            contact_secret="contact-secret-for-tests",
            callback_token=CALLBACK_TOKEN,
            encoding_aes_key=AES_KEY,
        ),
    )


def wecom_side(connection: WeComConnection) -> CallbackCrypto:
    """The crypto WeCom uses to reach this connection (the same settings, WeCom's side)."""
    return CallbackCrypto(CALLBACK_TOKEN, AES_KEY, connection.corp_id)


def add_contact_event(
    user: str = "wangfang", external: str = "wmCustomer001", when: int = 1763900000
) -> str:
    return (
        "<xml><ToUserName><![CDATA[wwsiyutest0001]]></ToUserName>"
        "<FromUserName><![CDATA[sys]]></FromUserName>"
        f"<CreateTime>{when}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        "<Event><![CDATA[change_external_contact]]></Event>"
        "<ChangeType><![CDATA[add_external_contact]]></ChangeType>"
        f"<UserID><![CDATA[{user}]]></UserID><ExternalUserID><![CDATA[{external}]]></ExternalUserID>"
        "<State><![CDATA[store-xuhui]]></State><WelcomeCode><![CDATA[WELCOME123]]></WelcomeCode></xml>"
    )
