"""``jiceng backup [--output DIR] | --list | --restore ARCHIVE --yes``: the whole installation.

The archive holds the database and the media files, never the keys; see jiceng/core/backup.py and
docs/deployment.md ("Backup and restore"). Exits non-zero with a message on any refusal or failure.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from jiceng.core import backup
from jiceng.core.backup_crypto import DecryptionError, Secret
from jiceng.core.context import action_context


class Command(BaseCommand):
    help = "备份整个系统（数据库与附件文件，不含密钥）到一个归档文件；或列出备份；或从备份恢复"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", help="备份文件夹（默认 var/backups/）")
        action = parser.add_mutually_exclusive_group()
        action.add_argument("--list", action="store_true", help="列出备份文件夹中的备份")
        action.add_argument("--restore", metavar="ARCHIVE", help="从此备份恢复数据库与附件文件")
        parser.add_argument("--yes", action="store_true", help="确认恢复（会替换当前数据库与附件文件）")
        parser.add_argument(
            "--passphrase-file",
            metavar="PATH",
            help="加密备份（或解密恢复）用的口令所在文件；也可用环境变量 JICENG_BACKUP_PASSPHRASE",
        )
        parser.add_argument(
            "--key-file", metavar="PATH", help="加密备份（或解密恢复）用的密钥文件（至少32字节随机数据）"
        )
        parser.add_argument(
            "--ignore-key-check",
            action="store_true",
            help="当前身份号码密钥与备份不符时仍然恢复（身份号码将无法解密）",
        )

    def secret(self, options: dict[str, Any]) -> Secret | None:
        passphrase = os.environ.get("JICENG_BACKUP_PASSPHRASE") or None
        if options["passphrase_file"]:
            passphrase = Path(options["passphrase_file"]).read_text(encoding="utf-8").strip()
        try:
            return Secret.from_options(passphrase=passphrase, key_file=options["key_file"])
        except DecryptionError as e:
            raise CommandError(str(e)) from e

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            with action_context(source="cli"):
                if options["list"]:
                    self.list(options["output"])
                elif options["restore"]:
                    self.restore(options["restore"], options["output"], options)
                else:
                    self.backup(options["output"], self.secret(options))
        except backup.BackupError as e:
            raise CommandError(str(e)) from e
        except OSError as e:
            raise CommandError(_("备份或恢复失败：%(error)s") % {"error": e}) from e

    def progress(self, message: str) -> None:
        self.stdout.write(message)
        self.stdout.flush()

    def keys_notice(self) -> None:
        self.stdout.write(_("备份中不含密钥。密钥所在位置："))
        for location in backup.key_locations():
            self.stdout.write("  " + location.describe())
        self.stdout.write(
            _(
                "请把密钥与备份分开妥善保管：没有 JICENG_FIELD_KEY，恢复后的身份号码无法解密；"
                "密钥若与备份放在一起，被盗的备份就会泄露身份号码。"
            )
        )

    def backup(self, output: str | None, secret: Secret | None) -> None:
        result = backup.create_backup(output, progress=self.progress, secret=secret)
        self.stdout.write(
            self.style.SUCCESS(
                _("已写入备份：%(path)s（%(size)s）")
                % {"path": result.path, "size": backup.human_size(result.size)}
            )
        )
        self.stdout.write(
            _("数据：%(counts)s") % {"counts": backup.describe_counts(result.manifest["counts"])}
        )
        media = result.manifest["media"]
        self.stdout.write(
            _("附件文件：%(n)s 个，%(size)s")
            % {"n": media["files"], "size": backup.human_size(media["bytes"])}
        )
        for line in backup.describe_left_out(result.manifest):
            self.stdout.write(line)
        if secret is None:
            self.stdout.write(
                self.style.WARNING(
                    _(
                        "备份未加密：离开本机保存时，请用 --passphrase-file 或 --key-file 加密（见 docs/security.md）"
                    )
                )
            )
        else:
            self.stdout.write(_("备份已加密：恢复时需要同一口令或密钥文件，请与备份分开保管"))
        self.keys_notice()

    def list(self, output: str | None) -> None:
        folder = Path(output) if output else backup.default_directory()
        found = backup.list_backups(folder)
        if not found:
            self.stdout.write(_("%(path)s 中没有备份") % {"path": folder})
            return
        self.stdout.write(_("%(path)s 中的备份：") % {"path": folder})
        for info in found:
            if info.manifest is None:
                self.stdout.write(f"  {info.path.name}  {backup.human_size(info.size)}  {info.problem}")
                continue
            self.stdout.write(
                "  "
                + "  ".join(
                    [
                        info.path.name,
                        str(info.manifest.get("created_at", "?")),
                        backup.human_size(info.size),
                        backup.engine_label(info.manifest["engine"]),
                        "jiceng " + str(info.manifest.get("jiceng_version", "?")),
                    ]
                )
            )

    def restore(self, archive: str, output: str | None, options: dict[str, Any]) -> None:
        path = Path(archive)
        if not path.exists() and path.parent == Path():
            # A bare file name: look for it in the backup folder.
            candidate = (Path(output) if output else backup.default_directory()) / path.name
            if candidate.exists():
                path = candidate
        with backup.opened(path, self.secret(options)) as plain:
            self.restore_plain(path, plain, options)

    def restore_plain(self, path: Path, plain: Path, options: dict[str, Any]) -> None:
        inspection = backup.inspect_archive(plain)
        for line in backup.describe(inspection):
            self.stdout.write(line)
        if not options["yes"]:
            raise CommandError(
                _(
                    "恢复会用此备份替换当前数据库和全部附件文件。请先停止网站服务和后台任务，确认后加 --yes 再运行"
                )
            )
        result = backup.restore_backup(
            plain, ignore_key_check=options["ignore_key_check"], progress=self.progress
        )
        self.stdout.write(self.style.SUCCESS(_("已从备份恢复：%(path)s") % {"path": path}))
        for kept in result.kept:
            self.stdout.write(_("原来的数据保留在 %(path)s，确认无误后可删除") % {"path": kept})
        if not result.inspection.key_matches:
            self.stdout.write(self.style.WARNING(_("当前身份号码密钥与此备份不符：恢复的身份号码无法解密")))
        missing = result.inspection.migrations.missing
        if missing:
            self.stdout.write(
                self.style.WARNING(
                    _("此备份来自较旧的版本（缺少 %(n)s 个数据库迁移）：请现在运行 jiceng migrate")
                    % {"n": len(missing)}
                )
            )
        if not result.recorded:
            self.stdout.write(_("运行 jiceng migrate 之前，这次恢复未能记入变更记录"))
