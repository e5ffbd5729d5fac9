"""A person's record as several apps keep it: the identity number encrypted, digested and masked, and
the name's pinyin keys for search (members, development files)."""

from __future__ import annotations

from . import crypto, idnumber, pinyin


class IdentityMixin:
    """For models with ``id_number_cipher``, ``id_number_digest``, ``id_number_masked``, ``name``,
    ``name_pinyin`` and ``name_initials``. Only the masked form and the keyed digest are readable without
    the key; the full number is revealed through an audited service."""

    def set_id_number(self, raw: str) -> None:
        number = idnumber.normalize(raw)
        self.id_number_cipher = crypto.encrypt(number)
        self.id_number_digest = crypto.digest(number)
        self.id_number_masked = idnumber.mask(number)

    def reveal_id_number(self) -> str:
        """The full number. Call through the app's ``services.reveal_id_number``, which audits it."""
        return crypto.decrypt(self.id_number_cipher)

    def refresh_pinyin(self) -> None:
        self.name_pinyin, self.name_initials = pinyin.keys(self.name)
