"""Secrets at rest: a model field whose value is stored as a Fernet token.

Keys come from FIELD_ENCRYPTION_KEYS (comma-separated Fernet keys, newest first). New values are
encrypted with the first key; any listed key decrypts. To rotate: put a new key first, keep the old
ones after it, run ``manage.py rotate_encryption_keys``, then drop the old keys. In development, with
no key set, one is derived from SECRET_KEY so the demo runs with no setup.
"""

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@cache
def _fernet_for(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS holds a key that is not a Fernet key") from exc


def current_fernet() -> MultiFernet:
    keys = tuple(settings.FIELD_ENCRYPTION_KEYS)
    if not keys:
        derived = hashlib.sha256(("otiumwork-dev-field-key:" + settings.SECRET_KEY).encode()).digest()
        keys = (base64.urlsafe_b64encode(derived).decode(),)
    return _fernet_for(keys)


def encrypt(plain: str) -> str:
    return current_fernet().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return current_fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "A stored secret cannot be decrypted with FIELD_ENCRYPTION_KEYS (was a key removed too early?)"
        ) from exc


def rotate(token: str) -> str:
    return current_fernet().rotate(token.encode()).decode()


class EncryptedTextField(models.TextField):
    """Plain text in Python, a Fernet token in the database. Empty stays empty."""

    def from_db_value(self, value, expression, connection):
        return decrypt(value) if value else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return encrypt(value) if value else value
