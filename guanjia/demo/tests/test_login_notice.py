"""The login page says when the demo company and its public demo logins are loaded, and only then."""

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from guanjia.core import crypto
from guanjia.demo.company import DEMO_COMPANY_CODE, DEMO_COMPANY_NAME
from guanjia.estates.tests.factories import CompanyFactory, EstateFactory
from guanjia.people.tests.factories import PersonFactory

NOTICE = "演示账号"


def login_page() -> str:
    response = Client().get(reverse("login"))
    assert response.status_code == 200
    return response.content.decode()


def test_without_the_demo_the_login_page_mentions_no_demo_logins(db):
    CompanyFactory(name="安居物业", code="anju")  # a real company, not the demo
    page = login_page()
    assert NOTICE not in page and "demo-notice" not in page


def test_with_the_demo_loaded_the_login_page_says_so(db):
    CompanyFactory(name=DEMO_COMPANY_NAME, code=DEMO_COMPANY_CODE)
    page = login_page()
    assert 'demo-notice"' in page
    assert NOTICE in page and DEMO_COMPANY_NAME in page
    assert "不要录入真实" in page  # and what that means for the people using it


def load_demo(tmp_path) -> str:
    out = StringIO()
    call_command("load_demo", "--units", "40", logins_file=str(tmp_path / "logins.md"), stdout=out)
    return out.getvalue()


def test_a_demo_database_whose_id_numbers_this_key_cannot_read_is_not_served_on(db, settings, tmp_path):
    """A development database made before the keys were random (or after var/secrets.json was
    deleted) holds ID numbers the current key cannot read: `make run` (load_demo) says to
    reload it instead of serving pages that fail on the first reveal."""
    company = CompanyFactory(name=DEMO_COMPANY_NAME, code=DEMO_COMPANY_CODE)
    try:
        settings.GUANJIA_FIELD_KEYS = [Fernet.generate_key().decode()]  # the key the database was made with
        crypto.reset_key_cache()
        PersonFactory(estate=EstateFactory(company=company))
        assert "已载入" in load_demo(tmp_path)  # that key reads them: skipped as loaded

        settings.GUANJIA_FIELD_KEYS = [Fernet.generate_key().decode()]  # another installation's key
        crypto.reset_key_cache()
        with pytest.raises(CommandError, match="make clean"):
            load_demo(tmp_path)
    finally:
        crypto.reset_key_cache()
