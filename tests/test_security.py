"""Login hardening: argon2, lockout, CSRF, secure settings under production."""

import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet
from django.test import Client
from django.urls import reverse

import config.settings as production_settings

ROOT = Path(__file__).resolve().parent.parent


def test_passwords_are_hashed_with_argon2_outside_tests():
    assert production_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_lockout_after_repeated_failures(cast):
    client = Client()
    for _ in range(4):
        response = client.post(reverse("login"), {"username": "assistant", "password": "wrong-password"})
        assert response.status_code == 200  # the form again, with its error
    fifth = client.post(reverse("login"), {"username": "assistant", "password": "wrong-password"})
    assert fifth.status_code == 429
    locked = client.post(reverse("login"), {"username": "assistant", "password": "correct-horse-battery"})
    assert locked.status_code == 429
    assert "登录已锁定" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_good_login_works_and_resets_nothing_else(cast):
    client = Client()
    response = client.post(reverse("login"), {"username": "assistant", "password": "correct-horse-battery"})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(cast.assistant.pk)


def test_login_form_needs_the_csrf_token(cast):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "assistant", "password": "correct-horse-battery"})
    assert response.status_code == 403


def test_api_session_writes_need_the_csrf_token(cast):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.manager)
    response = client.patch(f"/api/v1/units/{cast.unit_a.pk}", {"note": "x"}, content_type="application/json")
    assert response.status_code == 403
    cast.unit_a.refresh_from_db()
    assert cast.unit_a.note == ""


def test_api_token_login_locks_out_too(cast):
    client = Client()
    for _ in range(4):
        response = client.post(
            "/api/v1/auth/token", {"username": "manager", "password": "nope"}, content_type="application/json"
        )
        assert response.status_code == 401
    client.post("/api/v1/auth/token", {"username": "manager", "password": "nope"}, content_type="application/json")
    response = client.post(
        "/api/v1/auth/token",
        {"username": "manager", "password": "correct-horse-battery"},
        content_type="application/json",
    )
    assert response.status_code == 429


def test_api_token_works_as_bearer(cast):
    client = Client()
    response = client.post(
        "/api/v1/auth/token",
        {"username": "manager", "password": "correct-horse-battery"},
        content_type="application/json",
    )
    token = response.json()["token"]
    me = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert me.status_code == 200 and me.json()["username"] == "manager"
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer gj_wrong").status_code == 401


def test_security_headers(client, db):
    response = client.get(reverse("login"))
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_check_deploy_is_clean_under_production_settings():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "GUANJIA_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "GUANJIA_PRODUCTION": "1",
            "DJANGO_SECRET_KEY": "p" * 20 + "-not-a-real-key-but-long-and-varied-0123456789abcdefghij",
            "DJANGO_ALLOWED_HOSTS": "guanjia.example.com",
            "GUANJIA_FIELD_KEYS": Fernet.generate_key().decode(),
            "GUANJIA_FIELD_INDEX_KEY": "index-key-for-the-check",
            "GUANJIA_GATEWAY_SECRET": "gateway-secret-for-the-check",
        }
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_keys():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "GUANJIA_"))}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings", "GUANJIA_PRODUCTION": "1", "DJANGO_SECRET_KEY": "x" * 60})
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "GUANJIA_FIELD_KEYS" in result.stderr
