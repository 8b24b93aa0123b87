"""Online payment gateways (线上支付): one interface (base.Gateway), the sandbox served by the
app itself, and adapters for WeChat Pay v3 and Alipay whose callbacks are verified in the
adapter (signatures, WeChat's encrypted resource).

The gateway payers are sent to is settings.BILLING_GATEWAY (GUANJIA_PAYMENT_GATEWAY): the
sandbox outside production unless set. Notifications arrive at
/api/v1/billing/gateways/<name>/callback, each checked by the adapter of that name."""

from __future__ import annotations

from django.conf import settings

from guanjia.billing.gateways.alipay import AlipayGateway
from guanjia.billing.gateways.base import (
    CallbackError,
    Checkout,
    ForgedCallback,
    Gateway,
    GatewayUnavailable,
    Notification,
    Reply,
)
from guanjia.billing.gateways.sandbox import SandboxGateway
from guanjia.billing.gateways.wechat import WechatPayGateway

ADAPTERS: dict[str, type[SandboxGateway] | type[WechatPayGateway] | type[AlipayGateway]] = {
    "sandbox": SandboxGateway,
    "wechat": WechatPayGateway,
    "alipay": AlipayGateway,
}


def gateway_named(name: str) -> Gateway:
    """The adapter of this name, or GatewayUnavailable: an unknown name, or the sandbox in
    production (there its "pay" button would mark bills paid without money)."""
    if name not in ADAPTERS:
        raise GatewayUnavailable(f"no payment gateway named {name!r}")
    if name == SandboxGateway.name and getattr(settings, "PRODUCTION", False):
        raise GatewayUnavailable("the sandbox gateway is not available in production")
    return ADAPTERS[name]()


def current_gateway() -> Gateway:
    """The gateway payers are sent to."""
    return gateway_named(str(getattr(settings, "BILLING_GATEWAY", "") or ""))


__all__ = [
    "ADAPTERS",
    "AlipayGateway",
    "CallbackError",
    "Checkout",
    "ForgedCallback",
    "Gateway",
    "GatewayUnavailable",
    "Notification",
    "Reply",
    "SandboxGateway",
    "WechatPayGateway",
    "current_gateway",
    "gateway_named",
]
