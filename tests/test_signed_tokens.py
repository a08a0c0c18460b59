"""The plugin's hand-written HS256 tokens (template/job_client/auth.py) against PyJWT, the library Kling's own
Python sample uses: the same token from the same claims, and PyJWT verifies each one.

auth.py needs only the standard library, so it is loaded straight from the template without rendering.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

import jwt
import pytest

from conftest import ROOT


@pytest.fixture(scope="module")
def auth() -> ModuleType:
    spec = importlib.util.spec_from_file_location("template_job_client_auth", ROOT / "template/job_client/auth.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


# (access key, secret key, issue time): short and long keys, non-ASCII text, a clock with a fraction of a second.
CASES = [
    ("AkFixedClock01", "SkFixedClockSecret0123456789abcdef", 1767225600.0),
    ("a" * 64, "s" * 96, 1700000000.75),
    ("访问密钥-ak", "秘密密钥-sk-0123456789abcdefghijklmnop", 1600000123.2),
]


@pytest.mark.parametrize(("issuer", "secret", "now"), CASES)
def test_the_token_is_pyjwts_for_the_same_claims_and_pyjwt_verifies_it(
    auth: ModuleType, issuer: str, secret: str, now: float
) -> None:
    token = auth.hs256_token(issuer, secret, now, 1800)
    claims = {"iss": issuer, "exp": int(now) + 1800, "nbf": int(now) - 5}  # Kling's 接口鉴权 sample, to the second
    assert token == jwt.encode(claims, secret, algorithm="HS256", headers={"alg": "HS256", "typ": "JWT"})
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}
    decoded = jwt.decode(token, secret, algorithms=["HS256"], issuer=issuer, options={"verify_exp": False})
    assert decoded == claims


def test_the_fixed_clock_token_the_plugin_tests_expect_is_pyjwts(auth: ModuleType) -> None:
    # template/tests/test_api_vocabulary.py writes this token out for its fixed clock.
    expected = (
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJBa0ZpeGVkQ2xvY2swMSIsImV4cCI6MTc2NzIyNzQwMCwibmJmIjoxNzY3MjI1NTk1fQ"
        ".fY_-_M-aClnXK2NnQszx7hPC11SpY8-Jp54HB9L3uX8"
    )
    claims = {"iss": "AkFixedClock01", "exp": 1767227400, "nbf": 1767225595}
    assert jwt.encode(claims, "SkFixedClockSecret0123456789abcdef", headers={"typ": "JWT"}) == expected
    assert auth.hs256_token("AkFixedClock01", "SkFixedClockSecret0123456789abcdef", 1767225600, 1800) == expected


def test_the_fake_providers_check_accepts_a_valid_token_and_nothing_else(auth: ModuleType) -> None:
    token = auth.hs256_token("ak", "secret-key-0123456789abcdefghijklmnop", 1000, 1800)
    assert auth.hs256_claims(token, "secret-key-0123456789abcdefghijklmnop", 1000) == {
        "iss": "ak",
        "exp": 2800,
        "nbf": 995,
    }
    assert auth.hs256_claims(token, "another-secret-0123456789abcdefghijkl", 1000) is None  # wrong secret
    assert auth.hs256_claims(token, "secret-key-0123456789abcdefghijklmnop", 2800) is None  # expired
    assert auth.hs256_claims(token, "secret-key-0123456789abcdefghijklmnop", 994) is None  # not yet valid
    assert auth.hs256_claims(token[:-2] + "xx", "secret-key-0123456789abcdefghijklmnop", 1000) is None
    assert auth.hs256_claims("not a token", "secret-key-0123456789abcdefghijklmnop", 1000) is None
