"""``yemai people import|export``: the people ledgers (台账) in and out of Excel."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from yemai.core.commands import command_error, progress_bar, user_named, write_row_errors
from yemai.people.access import SetupUser
from yemai.people.exporters import LEDGERS, export_xlsx
from yemai.people.importers import import_xlsx

KINDS = list(LEDGERS)


def _acting_user(username: str | None):
    """The named account (its scope limits everything), or the unrestricted set-up context."""
    return user_named(username) if username else SetupUser()


class Command(BaseCommand):
    help = (
        "Import and export the people ledgers (residents, houses, households, organisations) "
        "as Excel. Run `yemai people import --help` or `yemai people export --help`."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

        imp = actions.add_parser(
            "import",
            help="import a ledger from an .xlsx file, all or nothing",
            description=(
                "Read the first sheet of an .xlsx file; columns are found by their Chinese "
                "headers (姓名, 公民身份号码, 联系电话, 所属微网格, 户籍类型, 户号, 房屋编号, 标签 "
                "…) or English aliases. Every bad row is reported with its Excel row number "
                "and nothing changes unless --skip-bad-rows. Importing the same file again "
                "updates the records it created (keyed by ID number, or --key)."
            ),
        )
        imp.add_argument("kind", choices=KINDS, help="which ledger the file holds")
        imp.add_argument("file", help="the .xlsx file")
        imp.add_argument(
            "--skip-bad-rows",
            action="store_true",
            help="write the good rows and report the bad ones (default: any bad row stops all)",
        )
        imp.add_argument(
            "--key",
            default="",
            help="column that finds a record to update: id_number or phone for residents "
            "(default id_number), code/房屋编号 for houses, number/户号 for households, "
            "credit_code or name for organisations",
        )
        imp.add_argument("--dry-run", action="store_true", help="check everything, write nothing")
        self._common(imp)

        exp = actions.add_parser(
            "export",
            help="export a ledger to an .xlsx file",
            description=(
                "Write a ledger of the acting user's scope (or of --grid inside it) with a "
                "title row, 序号, a frozen header, a totals row and A4 landscape print set-up. "
                "ID numbers, phones and addresses are masked unless --unmasked (only for "
                "roles that may see whole personal data). Every export is audited."
            ),
        )
        exp.add_argument("kind", choices=KINDS, help="which ledger to write")
        exp.add_argument("-o", "--output", required=True, help="the .xlsx file to write")
        exp.add_argument("--grid", help="code of a grid inside the scope (default: the scope)")
        exp.add_argument(
            "--unmasked",
            action="store_true",
            help="whole ID numbers, phones and addresses (audited; needs a role that may)",
        )
        self._common(exp)

    def _common(self, parser) -> None:
        parser.add_argument(
            "--as",
            dest="as_user",
            metavar="USERNAME",
            help="act as this user: their scope limits what is read and written, their role "
            "what is allowed (default: unrestricted set-up context)",
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="no progress bar on standard error"
        )

    def handle(self, *args, **options):
        user = _acting_user(options["as_user"])
        progress = progress_bar(not options["no_progress"], "row")
        if options["action"] == "import":
            return self._import(user, options, progress)
        return self._export(user, options, progress)

    def _import(self, user, options, progress):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        try:
            with path.open("rb") as handle:
                report = import_xlsx(
                    kind=options["kind"],
                    file=handle,
                    user=user,
                    skip_bad_rows=options["skip_bad_rows"],
                    key=options["key"],
                    dry_run=options["dry_run"],
                    progress=progress,
                    filename=path.name,
                )
        except (ValidationError, PermissionDenied) as exc:
            raise command_error(exc) from None
        write_row_errors(self.stderr, report.errors)
        summary = (
            f"{report.rows} rows: {report.created} created, {report.updated} updated, "
            f"{report.bad_rows} bad"
        )
        if report.applied:
            skipped = f" ({report.skipped} skipped)" if report.skipped else ""
            self.stdout.write(self.style.SUCCESS(f"imported {summary}{skipped}"))
        elif report.dry_run and report.ok:
            self.stdout.write(f"dry run, nothing written: {summary}")
        else:
            raise CommandError(f"nothing imported: {summary}")

    def _export(self, user, options, progress):
        try:
            result = export_xlsx(
                kind=options["kind"],
                user=user,
                grid=options["grid"],
                unmasked=options["unmasked"],
                progress=progress,
            )
        except (ValidationError, PermissionDenied) as exc:
            raise command_error(exc) from None
        Path(options["output"]).write_bytes(result.content)
        masked = "whole" if result.unmasked else "masked"
        self.stdout.write(
            self.style.SUCCESS(
                f"wrote {result.rows} {options['kind']} ({masked}) to {options['output']}"
            )
        )
