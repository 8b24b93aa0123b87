"""Chinese is the first language: every string in the code and templates has a Chinese translation."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.test import Client
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="gettext is not installed (make system-packages)")
def test_every_message_has_a_chinese_translation(tmp_path):
    shutil.copytree(ROOT / "locale", tmp_path / "locale")
    env = dict(os.environ, GUANJIA_LOCALE_DIR=str(tmp_path / "locale"), DJANGO_SETTINGS_MODULE="config.settings")
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-l",
            "zh_Hans",
            "--no-location",
            "--ignore=.venv",
            "--ignore=node_modules",
            "--ignore=var",
            "--ignore=bench",
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    catalogue = polib.pofile(str(tmp_path / "locale/zh_Hans/LC_MESSAGES/django.po"))
    missing = [
        entry.msgid
        for entry in catalogue
        if not entry.obsolete and (not entry.msgstr or entry.fuzzy) and not entry.msgstr_plural
    ]
    assert missing == [], f"untranslated: {missing}"


def test_english_is_selectable(client, db):
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})
    assert response.status_code == 302
    page = Client(headers={"cookie": f"django_language={response.cookies['django_language'].value}"}).get(
        reverse("login")
    )
    assert "Sign in" in page.content.decode()
