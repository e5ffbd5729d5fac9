import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from jiceng.core import crypto, idnumber

births = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2026, 12, 31))


def build(region: str, birth: dt.date, seq: int) -> str:
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    return body + idnumber.check_char(body)


@given(birth=births, seq=st.integers(0, 999), region=st.from_regex(r"\A[1-8][0-9]{5}\Z"))
def test_computed_check_char_validates_and_any_other_fails(birth, seq, region):
    number = build(region, birth, seq)
    assert idnumber.validate(number, birth_date=birth) == number
    for wrong in set("0123456789X") - {number[-1]}:
        with pytest.raises(ValidationError) as e:
            idnumber.validate(number[:-1] + wrong)
        assert e.value.code == "id_checksum"


@given(birth=births, other=births)
def test_birth_date_must_match(birth, other):
    number = build("110101", birth, 7)
    if other == birth:
        idnumber.validate(number, birth_date=other)
    else:
        with pytest.raises(ValidationError) as e:
            idnumber.validate(number, birth_date=other)
        assert e.value.code == "id_birth_mismatch"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("1101011990", "id_length"),
        ("11010119900307803", "id_length"),
        ("11010A19900307803X", "id_format"),
        ("110101199002300011", "id_birth_invalid"),
    ],
)
def test_malformed_numbers_are_named(value, code):
    if code == "id_birth_invalid":  # 30 February: give it a valid check character so only the date is wrong
        value = value[:17] + idnumber.check_char(value[:17])
    with pytest.raises(ValidationError) as e:
        idnumber.validate(value)
    assert e.value.code == code


def test_lower_case_x_and_spaces_are_normalized():
    assert idnumber.validate(" 11010119900307803x ") == "11010119900307803X"


@given(st.text(min_size=9, max_size=18))
def test_mask_shows_only_first_and_last_four(text):
    masked = idnumber.mask(text)
    assert masked[:4] == text[:4] and masked[-4:] == text[-4:]
    assert set(masked[4:-4]) <= {"*"} and len(masked) == len(text)


@given(st.text(max_size=40))
def test_encryption_round_trip_and_no_plaintext(text):
    token = crypto.encrypt(text)
    assert crypto.decrypt(token) == text
    if len(text) >= 4:
        assert text not in token
    assert crypto.encrypt(text) != token  # a fresh nonce each time
    assert crypto.digest(text) == crypto.digest(text)


@given(st.text(max_size=40))
def test_digest_stays_hmac_sha256_under_the_derived_key(text):
    """Stored digests are looked up by value: the fast path must give exactly the HMAC it always gave."""
    import hashlib
    import hmac

    _aead, key = crypto._current_keys()
    assert crypto.digest(text) == hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


@given(st.lists(st.text(max_size=20), max_size=8))
def test_batch_encryption_and_digests_equal_one_at_a_time(texts):
    """The importer's batch forms: each token decrypts to its text with a nonce of its own, and
    each digest is the one ``digest`` gives."""
    tokens = crypto.encrypt_many(texts)
    assert [crypto.decrypt(t) for t in tokens] == texts
    nonces = [t.partition(":")[2][:16] for t in tokens]
    assert len(set(nonces)) == len(nonces)
    assert crypto.digest_many(texts) == [crypto.digest(t) for t in texts]


def test_tampered_ciphertext_is_rejected():
    import base64

    token = crypto.encrypt("11010119900307803X")
    version, _, body = token.partition(":")
    raw = bytearray(base64.urlsafe_b64decode(body))
    raw[-1] ^= 0x01  # one bit of the authentication tag
    with pytest.raises(Exception):  # noqa: B017  (cryptography's InvalidTag)
        crypto.decrypt(f"{version}:" + base64.urlsafe_b64encode(bytes(raw)).decode())
