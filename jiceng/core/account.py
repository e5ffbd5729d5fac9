"""Writes to one's own account: password, two-step verification (TOTP), API tokens.

Every credential change revokes the account's API tokens: a token obtained before a password
change or before TOTP enrolment must not outlive the credential it was obtained with.
"""

from __future__ import annotations

from django.contrib.auth.forms import PasswordChangeForm
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import audit, tokens
from .models import ApiToken, User


@transaction.atomic
def change_password(*, actor: User, form: PasswordChangeForm) -> User:
    """Save the new password (Django's form checked the old one and the validators), revoke tokens."""
    user = form.save()
    audit.record(actor=actor, action=audit.Action.UPDATE, obj=user, message=_("修改密码"))
    tokens.revoke_all(user=user, actor=actor, reason=_("修改密码"))
    return user


@transaction.atomic
def start_totp(*, actor: User) -> TOTPDevice:
    """A new, unconfirmed device; any earlier unconfirmed one is dropped (its secret was shown)."""
    TOTPDevice.objects.devices_for_user(actor, confirmed=False).delete()
    return TOTPDevice.objects.create(user=actor, name=_("验证器应用"), confirmed=False)


@transaction.atomic
def confirm_totp(*, actor: User, device: TOTPDevice) -> None:
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    # The secret is never copied into the change record; only that a device was enrolled.
    audit.record(actor=actor, action=audit.Action.CREATE, obj=device, message=_("启用两步验证"))
    tokens.revoke_all(user=actor, actor=actor, reason=_("启用两步验证"))


@transaction.atomic
def remove_totp(*, actor: User) -> int:
    devices = list(TOTPDevice.objects.devices_for_user(actor, confirmed=None))
    for device in devices:
        if device.confirmed:
            audit.record(actor=actor, action=audit.Action.DELETE, obj=device, message=_("停用两步验证"))
        device.delete()
    return len(devices)


def revoke_token(*, actor: User, token_id: int) -> bool:
    """Revoke one of the actor's own tokens; another user's token id reads as unknown."""
    token = ApiToken.objects.filter(pk=token_id, user=actor).first()
    if token is None:
        return False
    tokens.revoke(actor=actor, token=token)
    return True
