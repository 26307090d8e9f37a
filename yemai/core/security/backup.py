"""Encrypted, database-agnostic backups: ``yemai backup FILE`` and ``yemai restore FILE``.

A backup is every row of every Yemai table (Django's JSON-lines serialisation, model by
model, dependencies first), compressed and encrypted in 1 MiB chunks with AES-256-GCM:

    b"YEMAIBK1" | salt (16) | chunks: length (4, big-endian) | ciphertext+tag

Each chunk's nonce is its number, and its associated data says whether it is the last one,
so a chunk changed, reordered, dropped or cut off fails to decrypt. The key is derived (HKDF,
with the salt) from ``YEMAI_BACKUP_KEY``, or from the first ``YEMAI_ENCRYPTION_KEYS`` key when
that is unset: keep the key apart from the backup. Personal data inside is serialised as
plain values and encrypted again under the current key when restored.

Restoring needs an empty, migrated database (``yemai migrate`` on a new one: no users, grids
or audit records), so a backup never mixes with live data; what migrations seeded (tags, the
case taxonomy) is replaced by the backup's rows. It runs in one transaction: all or nothing.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import struct
import zlib
from collections.abc import Callable, Iterator

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.exceptions import ImproperlyConfigured
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone

MAGIC = b"YEMAIBK1"
CHUNK = 1 << 20
FORMAT_VERSION = 1
# Rebuilt by migrate (content types, permissions), or transient (sessions, counters, locks).
SKIP = {
    "contenttypes.contenttype",
    "auth.permission",
    "sessions.session",
    "core.ratebucket",
    "accounts.loginlock",
}


class BackupError(Exception):
    """A backup cannot be written or read: wrong key, damaged file, non-empty database."""


def _master_key() -> bytes:
    if settings.BACKUP_KEY:
        try:
            material = base64.b64decode(settings.BACKUP_KEY, validate=True)
        except binascii.Error:
            raise ImproperlyConfigured("YEMAI_BACKUP_KEY is not base64") from None
        if len(material) < 32:
            raise ImproperlyConfigured("YEMAI_BACKUP_KEY is shorter than 32 bytes")
        return material
    from .. import crypto

    return crypto.parse_keys(settings.ENCRYPTION_KEYS)[0].material


def _derive(salt: bytes) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=b"yemai/backup").derive(
        _master_key()
    )
    return AESGCM(key)


def _nonce(n: int) -> bytes:
    return struct.pack(">4xQ", n)


class EncryptingWriter:
    def __init__(self, fh):
        self.fh = fh
        salt = os.urandom(16)
        self.aead = _derive(salt)
        fh.write(MAGIC + salt)
        self.zip = zlib.compressobj(6)
        self.buffer = bytearray()
        self.n = 0

    def _emit(self, data: bytes, final: bool) -> None:
        sealed = self.aead.encrypt(_nonce(self.n), bytes(data), b"last" if final else b"more")
        self.fh.write(struct.pack(">I", len(sealed)) + sealed)
        self.n += 1

    def write(self, text: str) -> None:
        self.buffer += self.zip.compress(text.encode("utf-8"))
        while len(self.buffer) > CHUNK:
            self._emit(self.buffer[:CHUNK], False)
            del self.buffer[:CHUNK]

    def close(self) -> None:
        self.buffer += self.zip.flush()
        while len(self.buffer) > CHUNK:
            self._emit(self.buffer[:CHUNK], False)
            del self.buffer[:CHUNK]
        self._emit(self.buffer, True)


def decrypted_lines(fh, progress: Callable[[int], None] | None = None) -> Iterator[str]:
    head = fh.read(len(MAGIC) + 16)
    if head[: len(MAGIC)] != MAGIC or len(head) != len(MAGIC) + 16:
        raise BackupError("not a Yemai backup (the file does not start with YEMAIBK1)")
    aead = _derive(head[len(MAGIC) :])
    unzip = zlib.decompressobj()
    pending = b""
    n = 0
    last = False
    while not last:
        size_bytes = fh.read(4)
        if len(size_bytes) != 4:
            raise BackupError("the backup is cut off (its last part is missing)")
        (size,) = struct.unpack(">I", size_bytes)
        sealed = fh.read(size)
        if len(sealed) != size:
            raise BackupError("the backup is cut off (its last part is missing)")
        try:
            data = aead.decrypt(_nonce(n), sealed, b"more")
        except InvalidTag:
            try:
                data = aead.decrypt(_nonce(n), sealed, b"last")
            except InvalidTag:
                raise BackupError(
                    f"part {n + 1} of the backup does not decrypt: wrong key "
                    "(YEMAI_BACKUP_KEY / YEMAI_ENCRYPTION_KEYS) or a damaged file"
                ) from None
            last = True
        n += 1
        if progress:
            progress(4 + size)
        pending += unzip.decompress(data)
        *lines, pending = pending.split(b"\n")
        for line in lines:
            if line:
                yield line.decode("utf-8")
    if fh.read(1):
        raise BackupError("the backup has data after its last part")
    pending += unzip.flush()
    if pending.strip():
        yield pending.decode("utf-8")


def backup_models() -> list:
    app_list = [(config, None) for config in apps.get_app_configs()]
    ordered = serializers.sort_dependencies(app_list, allow_cycles=True)
    return [
        m
        for m in ordered
        if m._meta.managed and not m._meta.proxy and m._meta.label_lower not in SKIP
    ]


def backup_write(fh, *, progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
    """Write every row to ``fh`` (binary). Returns rows per model."""
    models = backup_models()
    counts = {m._meta.label_lower: m._base_manager.count() for m in models}
    writer = EncryptingWriter(fh)
    manifest = {
        "format": "yemai-backup",
        "version": FORMAT_VERSION,
        "created": timezone.now().isoformat(),
        "database": connection.vendor,
        "rows": counts,
    }
    writer.write(json.dumps(manifest, ensure_ascii=False) + "\n")
    with transaction.atomic():  # one consistent snapshot (REPEATABLE READ on PG is not needed:
        # the rows of one model are read by one query)
        for model in models:
            label = model._meta.label_lower
            if not counts[label]:
                continue
            for obj in model._base_manager.order_by("pk").iterator(chunk_size=2000):
                writer.write(
                    serializers.serialize(
                        "jsonl",
                        [obj],
                        use_natural_foreign_keys=True,
                        use_natural_primary_keys=False,
                    )
                )
                if progress:
                    progress(label, 1)
    writer.close()
    return counts


# A database with rows here holds real data: a restore would mix with it, so it refuses.
# Other tables may hold what migrations seed (tags, the case taxonomy): a restore replaces it.
REAL_DATA = {"accounts.user", "grids.gridnode", "core.auditevent"}


def _database_busy() -> list[str]:
    return [
        m._meta.label_lower
        for m in backup_models()
        if m._meta.label_lower in REAL_DATA and m._base_manager.exists()
    ]


def _clear_seeded(models) -> None:
    for model in reversed(models):
        if model._meta.label_lower not in REAL_DATA and model._base_manager.exists():
            # Raw: the rows may protect each other (a taxonomy's parents); constraints are
            # checked once the backup is in, before the transaction commits.
            model._base_manager.all()._raw_delete(connection.alias)


def backup_restore(fh, *, progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Load a backup into an empty database, in one transaction. Returns rows per model."""
    busy = _database_busy()
    if busy:
        raise BackupError(
            "restore needs an empty database (create a new one and run `yemai migrate`); "
            f"these tables have rows: {', '.join(busy[:5])}"
        )
    lines = decrypted_lines(fh, progress)
    try:
        manifest = json.loads(next(lines))
    except (StopIteration, json.JSONDecodeError):
        raise BackupError("the backup has no manifest") from None
    if manifest.get("format") != "yemai-backup" or manifest.get("version") != FORMAT_VERSION:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    counts: dict[str, int] = {}
    touched = set()
    with transaction.atomic():
        _clear_seeded(backup_models())
        deferred = []
        for line in lines:
            for item in serializers.deserialize(
                "jsonl", line, handle_forward_references=True, ignorenonexistent=False
            ):
                item.save()
                if item.deferred_fields:
                    deferred.append(item)
                model = type(item.object)
                touched.add(model)
                counts[model._meta.label_lower] = counts.get(model._meta.label_lower, 0) + 1
        for item in deferred:
            item.save_deferred_fields()
        expected = {k: v for k, v in manifest["rows"].items() if v}
        if counts != expected:
            raise BackupError(
                f"the backup's rows do not match its manifest: {counts} != {expected}"
            )
        sql = connection.ops.sequence_reset_sql(no_style(), list(touched))
        if sql:
            with connection.cursor() as cursor:
                for statement in sql:
                    cursor.execute(statement)
        connection.check_constraints()
    return counts
