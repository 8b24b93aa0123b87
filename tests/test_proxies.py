"""The client's address behind a proxy (issue 11, item 6). Without GUANJIA_TRUSTED_PROXIES the
address is the connection's (REMOTE_ADDR) and X-Forwarded-For is ignored, so a client cannot
choose the address its failures count against; with it, the address our own proxies saw is
used, so two people behind one proxy do not lock each other out."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from axes.models import AccessAttempt, AccessLog
from django.test import Client, RequestFactory
from django.urls import reverse

from guanjia.core.http import client_address

ROOT = Path(__file__).resolve().parent.parent
PROXY = "10.0.0.2"
ALICE = "203.0.113.5"
BOB = "198.51.100.7"
GOOD = "correct-horse-battery"


def address(remote: str, forwarded: str | None = None) -> str:
    headers = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_address(RequestFactory().get("/", **headers))


def test_without_trusted_proxies_the_forwarded_header_is_ignored(settings):
    settings.GUANJIA_TRUSTED_PROXIES = ""
    assert address(PROXY) == PROXY
    assert address(PROXY, ALICE) == PROXY
    assert address(PROXY, f"{BOB}, {ALICE}") == PROXY


def test_a_count_of_trusted_proxies_takes_the_hop_the_outermost_one_saw(settings):
    settings.GUANJIA_TRUSTED_PROXIES = "1"
    assert address(PROXY, ALICE) == ALICE
    # The client wrote its own X-Forwarded-For; our proxy appended what it saw.
    assert address(PROXY, f"{BOB}, {ALICE}") == ALICE
    assert address(PROXY) == PROXY  # straight to the app, past the proxy
    settings.GUANJIA_TRUSTED_PROXIES = "2"  # a load balancer in front of nginx
    assert address(PROXY, f"{BOB}, {ALICE}, 10.0.0.9") == ALICE
    assert address(PROXY, f"{ALICE}") == ALICE  # fewer hops than proxies: the leftmost, written by ours


def test_a_list_of_trusted_proxies_skips_them_from_the_right(settings):
    settings.GUANJIA_TRUSTED_PROXIES = "10.0.0.0/8, 2001:db8::1"
    assert address(PROXY, f"{BOB}, {ALICE}, 10.0.0.9") == ALICE
    assert address("2001:db8::1", ALICE) == ALICE
    assert address("192.0.2.1", ALICE) == "192.0.2.1"  # not from a trusted proxy: header ignored
    assert address(PROXY, "10.0.0.3") == "10.0.0.3"  # every hop ours: the leftmost


def test_unreadable_hops_are_never_taken_for_an_address(settings):
    settings.GUANJIA_TRUSTED_PROXIES = "1"
    assert address(PROXY, "unknown") == PROXY
    assert address(PROXY, "<script>") == PROXY
    assert address(PROXY, f"{ALICE}:51234") == ALICE  # a port some proxies add
    assert address(PROXY, "[2001:db8::7]:443") == "2001:db8::7"
    assert address(PROXY, " , ") == PROXY


def test_a_malformed_setting_stops_the_start(settings):
    from django.core.exceptions import ImproperlyConfigured

    from guanjia.core.http import trusted_proxies

    for wrong in ("-1", "nginx", "10.0.0.0/33"):
        settings.GUANJIA_TRUSTED_PROXIES = wrong
        with pytest.raises(ImproperlyConfigured, match="GUANJIA_TRUSTED_PROXIES"):
            trusted_proxies()


def test_a_malformed_setting_stops_manage_py(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GUANJIA_TRUSTED")}
    env.update(GUANJIA_TRUSTED_PROXIES="nginx", DJANGO_SETTINGS_MODULE="config.settings_test")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "GUANJIA_TRUSTED_PROXIES" in result.stderr


def fail_login(client: Client, username: str, forwarded: str) -> int:
    response = client.post(
        reverse("login"),
        {"username": username, "password": "wrong-password"},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded,
    )
    return response.status_code


def sign_in(client: Client, username: str, forwarded: str) -> int:
    response = client.post(
        reverse("login"), {"username": username, "password": GOOD}, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded
    )
    return response.status_code


def test_behind_a_trusted_proxy_locking_out_one_client_leaves_the_other_alone(cast, settings):
    settings.GUANJIA_TRUSTED_PROXIES = "1"
    attacker, colleague = Client(), Client()
    statuses = [fail_login(attacker, "assistant", ALICE) for _ in range(5)]
    assert statuses[-1] == 429  # Alice is locked out ...
    assert sign_in(attacker, "assistant", ALICE) == 429
    assert sign_in(colleague, "assistant", BOB) == 302  # ... Bob, behind the same proxy, is not
    assert colleague.session["_auth_user_id"] == str(cast.assistant.pk)
    # The login records name the real client, not the proxy.
    assert AccessAttempt.objects.get().ip_address == ALICE
    assert AccessLog.objects.get(username="assistant").ip_address == BOB


def test_behind_a_trusted_proxy_a_spoofed_hop_does_not_dodge_the_lockout(cast, settings):
    """Alice writes a new X-Forwarded-For on each try; the proxy appends her real address."""
    settings.GUANJIA_TRUSTED_PROXIES = "1"
    attacker = Client()
    statuses = [fail_login(attacker, "assistant", f"192.0.2.{n}, {ALICE}") for n in range(5)]
    assert statuses[-1] == 429
    assert sign_in(attacker, "assistant", f"192.0.2.99, {ALICE}") == 429


def test_without_a_trusted_proxy_a_spoofed_header_changes_nothing(cast, settings):
    settings.GUANJIA_TRUSTED_PROXIES = ""
    attacker = Client()
    # A new forged address on every try still counts against the connection's own address ...
    statuses = [fail_login(attacker, "assistant", f"192.0.2.{n}") for n in range(5)]
    assert statuses[-1] == 429
    assert sign_in(attacker, "assistant", "192.0.2.200") == 429
    # ... and forging the address of someone elsewhere does not lock them out.
    other = Client()
    response = other.post(reverse("login"), {"username": "assistant", "password": GOOD}, REMOTE_ADDR="192.0.2.5")
    assert response.status_code == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {PROXY}


def test_the_api_token_lockout_uses_the_same_address(cast, settings):
    settings.GUANJIA_TRUSTED_PROXIES = "1"
    client = Client()
    for _ in range(5):
        client.post(
            "/api/v1/auth/token",
            {"username": "manager", "password": "nope"},
            content_type="application/json",
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR=ALICE,
        )
    good = {"username": "manager", "password": GOOD}
    locked = client.post(
        "/api/v1/auth/token", good, content_type="application/json", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=ALICE
    )
    assert locked.status_code == 429
    other = client.post(
        "/api/v1/auth/token", good, content_type="application/json", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=BOB
    )
    assert other.status_code == 201
