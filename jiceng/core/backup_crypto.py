"""Encrypted backup archives: AES-256-GCM in 1 MiB chunks, the key from a passphrase (scrypt) or a key
file (HKDF), so a stolen archive without the passphrase or key file reveals nothing.

File layout (``jiceng-backup-….tar.gz.enc``)::

    MAGIC  header-length (4 bytes)  header (JSON: kdf and its parameters, salt, nonce prefix)
    chunk*: length (4 bytes)  AES-GCM(chunk)  — nonce = prefix (8 bytes) + index (4 bytes),
            associated data = header + index + a byte saying whether it is the last chunk

A wrong passphrase or key file fails on the first chunk (GCM tag); a truncated or reordered file
fails too (the index and the last-chunk byte are authenticated).
"""

from __future__ import annotations

import base64
import json
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from django.utils.translation import gettext as _

MAGIC = b"JICENG-BACKUP-ENC1\n"
EXTENSION = ".enc"
CHUNK = 1 << 20
SCRYPT = {"n": 2**15, "r": 8, "p": 1}
MIN_PASSPHRASE = 12
MIN_KEY_FILE_BYTES = 32


class DecryptionError(Exception):
    """A message for the user: wrong passphrase or key file, or a damaged archive."""


@dataclass(frozen=True)
class Secret:
    """What unlocks an archive: a passphrase or the bytes of a key file."""

    passphrase: str | None = None
    key_file: bytes | None = None

    @classmethod
    def from_options(
        cls, *, passphrase: str | None = None, key_file: str | Path | None = None
    ) -> Secret | None:
        if key_file:
            data = Path(key_file).read_bytes()
            if len(data) < MIN_KEY_FILE_BYTES:
                raise DecryptionError(
                    _("密钥文件 %(path)s 太短：至少需要%(n)d字节的随机数据")
                    % {"path": key_file, "n": MIN_KEY_FILE_BYTES}
                )
            return cls(key_file=data)
        if passphrase:
            if len(passphrase) < MIN_PASSPHRASE:
                raise DecryptionError(_("备份口令至少需要%(n)d个字符") % {"n": MIN_PASSPHRASE})
            return cls(passphrase=passphrase)
        return None

    def header(self) -> dict[str, Any]:
        salt = base64.b64encode(os.urandom(16)).decode()
        prefix = base64.b64encode(os.urandom(8)).decode()
        if self.key_file is not None:
            return {"kdf": "key_file", "salt": salt, "nonce_prefix": prefix, "chunk": CHUNK}
        return {"kdf": "scrypt", **SCRYPT, "salt": salt, "nonce_prefix": prefix, "chunk": CHUNK}

    def key(self, header: dict[str, Any]) -> bytes:
        salt = base64.b64decode(header["salt"])
        if header["kdf"] == "key_file":
            if self.key_file is None:
                raise DecryptionError(_("此备份用密钥文件加密：请用 --key-file 指定密钥文件"))
            return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=b"jiceng-backup").derive(
                self.key_file
            )
        if self.passphrase is None:
            raise DecryptionError(
                _("此备份用口令加密：请提供备份口令（JICENG_BACKUP_PASSPHRASE 或 --passphrase-file）")
            )
        return Scrypt(salt=salt, length=32, n=header["n"], r=header["r"], p=header["p"]).derive(
            self.passphrase.encode()
        )


def _aad(header_bytes: bytes, index: int, last: bool) -> bytes:
    return header_bytes + struct.pack(">I?", index, last)


class EncryptingWriter:
    """A write-only file object for ``tarfile.open(fileobj=…, mode="w|gz")``: nothing in clear on disk."""

    def __init__(self, raw: IO[bytes], secret: Secret) -> None:
        self.raw = raw
        header = secret.header()
        self.header_bytes = json.dumps(header, sort_keys=True).encode()
        self.aead = AESGCM(secret.key(header))
        self.prefix = base64.b64decode(header["nonce_prefix"])
        self.buffer = bytearray()
        self.index = 0
        raw.write(MAGIC + struct.pack(">I", len(self.header_bytes)) + self.header_bytes)

    def write(self, data: bytes) -> int:
        self.buffer += data
        while len(self.buffer) > CHUNK:  # keep at least one byte back: the last chunk is flagged
            self._seal(bytes(self.buffer[:CHUNK]), last=False)
            del self.buffer[:CHUNK]
        return len(data)

    def _seal(self, chunk: bytes, *, last: bool) -> None:
        nonce = self.prefix + struct.pack(">I", self.index)
        sealed = self.aead.encrypt(nonce, chunk, _aad(self.header_bytes, self.index, last))
        self.raw.write(struct.pack(">I", len(sealed)) + sealed)
        self.index += 1

    def close(self) -> None:
        self._seal(bytes(self.buffer), last=True)
        self.buffer.clear()

    def flush(self) -> None:
        self.raw.flush()


def is_encrypted(path: Path | str) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(len(MAGIC)) == MAGIC
    except OSError:
        return False


def decrypt_file(source: Path, target: Path, secret: Secret | None) -> None:
    """Decrypt ``source`` into ``target`` (created readable by its owner only)."""
    if secret is None:
        raise DecryptionError(
            _("此备份已加密：请提供备份口令（JICENG_BACKUP_PASSPHRASE 或 --passphrase-file）或 --key-file")
        )
    with open(source, "rb") as f:
        if f.read(len(MAGIC)) != MAGIC:
            raise DecryptionError(_("%(path)s 不是加密的 jiceng 备份") % {"path": source})
        (length,) = struct.unpack(">I", f.read(4))
        header_bytes = f.read(length)
        header = json.loads(header_bytes)
        aead = AESGCM(secret.key(header))
        prefix = base64.b64decode(header["nonce_prefix"])
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            index = 0
            while True:
                size_bytes = f.read(4)
                if len(size_bytes) < 4:
                    raise DecryptionError(_("%(path)s 不完整或已损坏") % {"path": source})
                (size,) = struct.unpack(">I", size_bytes)
                sealed = f.read(size)
                nonce = prefix + struct.pack(">I", index)
                plain = None
                for last in (False, True):
                    try:
                        plain = aead.decrypt(nonce, sealed, _aad(header_bytes, index, last))
                    except InvalidTag:
                        continue
                    break
                if plain is None:
                    if index == 0:
                        raise DecryptionError(
                            _("备份口令或密钥文件不正确，无法解密 %(path)s") % {"path": source}
                        )
                    raise DecryptionError(_("%(path)s 已损坏或被改动") % {"path": source})
                out.write(plain)
                index += 1
                if last:
                    if f.read(1):
                        raise DecryptionError(_("%(path)s 已损坏或被改动") % {"path": source})
                    return
