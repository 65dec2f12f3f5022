"""Secrets at rest are Fernet tokens; a new key can be rolled in without losing them."""

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from finance.models import QuickBooksSettings

pytestmark = pytest.mark.django_db


def stored_secret() -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT client_secret FROM {QuickBooksSettings._meta.db_table}")  # noqa: S608
        return cursor.fetchone()[0]


def test_rotation_re_encrypts_with_the_new_key_and_keeps_the_value(company, settings):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old_key]
    QuickBooksSettings.objects.create(
        company=company, client_id="id", client_secret="the-secret", environment="sandbox"
    )
    assert Fernet(old_key).decrypt(stored_secret().encode()) == b"the-secret"

    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    call_command("rotate_encryption_keys", stdout=StringIO())
    assert Fernet(new_key).decrypt(stored_secret().encode()) == b"the-secret"

    settings.FIELD_ENCRYPTION_KEYS = [new_key]  # the old key can now be dropped
    assert QuickBooksSettings.objects.get(company=company).client_secret == "the-secret"


def test_a_missing_key_fails_loudly_instead_of_returning_garbage(company, settings):
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    QuickBooksSettings.objects.create(company=company, client_id="id", client_secret="x", environment="sandbox")
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="cannot be decrypted"):
        QuickBooksSettings.objects.get(company=company)
