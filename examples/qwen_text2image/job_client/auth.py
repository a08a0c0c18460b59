"""How a request proves who sends it, as settings ``auth`` say: the API key as given, or a token signed per request.

``api_key`` (the default): one credential field, ``api_key``, sent as it is after ``auth_scheme``.
``jwt_hs256``: two credential fields, an issuer (e.g. Kling's access key) and a secret (its secret key); each
request carries a fresh JSON Web Token (RFC 7519), header ``{"alg": "HS256", "typ": "JWT"}``, payload
``{"iss": issuer, "exp": now + ttl, "nbf": now - 5}``, signed with HMAC-SHA256 under the secret. The secret itself
never leaves the plugin.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

# Seconds a token is valid before "now": the server's clock may run a little behind ours.
NOT_BEFORE_SKEW = 5


@dataclass(frozen=True)
class AuthSettings:
    kind: Literal["api_key", "jwt_hs256"] = "api_key"
    # The credential fields the provider form asks for, in order (jwt_hs256: issuer, then secret).
    fields: tuple[str, ...] = ("api_key",)
    ttl: int = 1800  # jwt_hs256: seconds a token stays valid


def field_label(name: str) -> str:
    """The words for a credential field in messages: ``secret_key`` -> ``Secret Key``, ``api_key`` -> ``API Key``."""
    return " ".join("API" if word == "api" else word.capitalize() for word in name.split("_"))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _json_segment(document: Mapping[str, Any]) -> str:
    return _b64url(json.dumps(document, separators=(",", ":")).encode("utf-8"))


def hs256_token(issuer: str, secret: str, now: float, ttl: int) -> str:
    """A compact JWS: base64url(header).base64url(payload).base64url(HMAC-SHA256 signature)."""
    issued = int(now)
    header = _json_segment({"alg": "HS256", "typ": "JWT"})
    payload = _json_segment({"iss": issuer, "exp": issued + ttl, "nbf": issued - NOT_BEFORE_SKEW})
    signing_input = f"{header}.{payload}".encode("ascii")
    signature = hmac.new(secret.encode("utf-8"), signing_input, hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64url(signature)}"


def hs256_claims(token: str, secret: str, now: float) -> dict[str, Any] | None:
    """The payload of a token signed with ``secret`` and valid at ``now``, else None (the fake provider's check)."""
    try:
        header, payload, signature = token.split(".")
        expected = hmac.new(secret.encode("utf-8"), f"{header}.{payload}".encode("ascii"), hashlib.sha256).digest()
        if not hmac.compare_digest(_b64url_decode(signature), expected):
            return None
        if json.loads(_b64url_decode(header)).get("alg") != "HS256":
            return None
        claims = json.loads(_b64url_decode(payload))
    except (ValueError, UnicodeError):
        return None
    if not isinstance(claims, dict) or not claims.get("nbf", 0) <= now < claims.get("exp", 0):
        return None
    return claims


def credential_value(auth: AuthSettings, values: Mapping[str, str], now: float) -> str:
    """What follows the auth scheme in the auth header for one request."""
    if auth.kind == "jwt_hs256":
        issuer, secret = (values.get(name, "") for name in auth.fields[:2])
        return hs256_token(issuer, secret, now, auth.ttl)
    return values.get(auth.fields[0], "")
