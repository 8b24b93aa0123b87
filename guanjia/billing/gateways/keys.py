"""RSA keys as the gateways hand them out: PEM text, or the bare base64 (DER) that Alipay's
key tool and the merchant platforms show for copying."""

from __future__ import annotations

import base64
import binascii

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

from guanjia.billing.gateways.base import GatewayUnavailable


def public_key(text: str) -> RSAPublicKey:
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(text.encode())
        else:
            key = serialization.load_der_public_key(base64.b64decode(text, validate=True))
    except (ValueError, binascii.Error, TypeError) as error:
        raise GatewayUnavailable(f"the gateway's public key cannot be read: {error}") from None
    if not isinstance(key, RSAPublicKey):
        raise GatewayUnavailable("the gateway's public key is not an RSA key")
    return key


def private_key(text: str) -> RSAPrivateKey:
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_private_key(text.encode(), password=None)
        else:
            key = serialization.load_der_private_key(base64.b64decode(text, validate=True), password=None)
    except (ValueError, binascii.Error, TypeError) as error:
        raise GatewayUnavailable(f"the merchant's private key cannot be read: {error}") from None
    if not isinstance(key, RSAPrivateKey):
        raise GatewayUnavailable("the merchant's private key is not an RSA key")
    return key
