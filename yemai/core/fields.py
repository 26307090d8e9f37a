"""Model fields for personal data."""

from django.db import models

from . import crypto


class EncryptedTextField(models.TextField):
    """Text encrypted at rest (see core.crypto); reads give plaintext, never to be filtered on.

    To search by value, keep a keyed hash beside it (``crypto.lookup_hash``) and filter on that.
    """

    def contribute_to_class(self, cls, name, *args, **kwargs):
        super().contribute_to_class(cls, name, *args, **kwargs)
        self.crypto_context = f"{cls._meta.app_label}.{cls._meta.model_name}.{name}"

    def from_db_value(self, value, expression, connection):
        if not value:
            return value
        return crypto.decrypt(value, context=self.crypto_context)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return value
        if crypto.is_encrypted(value):
            return value
        return crypto.encrypt(value, context=self.crypto_context)
