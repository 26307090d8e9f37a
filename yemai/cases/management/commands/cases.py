"""``yemai cases import-hotline|metrics``: 12345 tickets in, the loop's metrics out."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404
from django.utils import timezone

from yemai.cases.hotline import hotline_import
from yemai.cases.metrics import GROUPS, case_metrics
from yemai.core.commands import command_error, progress_bar, user_named, write_row_errors


def _acting_user(username: str | None):
    return user_named(username) if username else None


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{text!r} is not a date like 2024-05-01") from None


class Command(BaseCommand):
    help = (
        "Cases: import 12345 hotline tickets (xlsx or CSV) and print the loop's metrics. "
        "Run `yemai cases import-hotline --help` or `yemai cases metrics --help`."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        imp = actions.add_parser(
            "import-hotline",
            help="import 12345 hotline tickets as cases, all or nothing",
            description=(
                "Read an .xlsx workbook or a CSV file (UTF-8 or GBK) with the columns 工单编号, "
                "来电时间, 诉求内容, 事件类型 (category code or name), and optionally 地址, 经度, "
                "纬度, 坐标系 (wgs84/gcj02/bd09), 来电人, 联系电话. Each ticket becomes a case "
                "(source hotline) routed by its point; a point outside every grid goes to the "
                "centre's queue. Importing the same tickets again creates nothing new. Every "
                "bad row is reported with its row number and nothing is written unless "
                "--skip-bad-rows."
            ),
        )
        imp.add_argument("file", help="the .xlsx or .csv file")
        imp.add_argument(
            "--skip-bad-rows",
            action="store_true",
            help="write the good rows and report the bad ones (default: any bad row stops all)",
        )
        imp.add_argument("--dry-run", action="store_true", help="check everything, write nothing")
        self._as(imp)
        imp.add_argument(
            "--no-progress", action="store_true", help="no progress bar on standard error"
        )

        met = actions.add_parser(
            "metrics",
            help="print 立案率, 按期处置率, 结案率, 返工率, 满意度 … for a period",
            description=(
                "Metrics of the cases reported in [--start, --end) inside the acting user's "
                "scope, grouped --by grid (the children of --grid or of the scope), member, "
                "department, category or total. Formulas: docs/metrics.md."
            ),
        )
        met.add_argument("--by", choices=GROUPS, default="grid", help="grouping (default grid)")
        met.add_argument("--start", help="first day, YYYY-MM-DD (default: 1st of this month)")
        met.add_argument("--end", help="day after the last, YYYY-MM-DD (default: tomorrow)")
        met.add_argument("--grid", help="code of a grid node in scope (default: the scope)")
        met.add_argument("--json", action="store_true", help="print JSON instead of a table")
        self._as(met)

    def _as(self, parser):
        parser.add_argument(
            "--as",
            dest="as_user",
            metavar="USERNAME",
            help="act as this user: their scope and role limit what is read and written "
            "(default: unrestricted set-up context)",
        )

    def handle(self, *args, **options):
        user = _acting_user(options["as_user"])
        if options["action"] == "import-hotline":
            return self._import(user, options)
        return self._metrics(user, options)

    def _import(self, user, options):
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror or exc}") from None

        progress = progress_bar(not options["no_progress"], "ticket")

        try:
            report = hotline_import(
                file=data,
                user=user,
                skip_bad_rows=options["skip_bad_rows"],
                dry_run=options["dry_run"],
                progress=progress,
                filename=path.name,
            )
        except (ValidationError, PermissionDenied) as exc:
            raise command_error(exc) from None
        write_row_errors(self.stderr, report.errors)
        summary = (
            f"{report.rows} tickets: {report.created} new cases "
            f"({report.to_centre} to the centre's queue), {report.existing} imported before, "
            f"{report.bad_rows} bad rows"
        )
        if report.errors and not options["skip_bad_rows"]:
            raise CommandError(f"{summary}; nothing imported (fix the rows or --skip-bad-rows)")
        if options["dry_run"]:
            summary += " (dry run: nothing written)"
        self.stdout.write(summary)

    def _metrics(self, user, options):
        today = timezone.localdate()
        start = _date(options["start"]) if options["start"] else today.replace(day=1)
        end = _date(options["end"]) if options["end"] else today + dt.timedelta(days=1)
        node = None
        if options["grid"]:
            from yemai.grids.models import GridNode  # noqa: PLC0415

            node = GridNode.objects.filter(code=options["grid"]).first()
            if node is None:
                raise CommandError(f"no grid with code {options['grid']}")
        try:
            rows = case_metrics(user=user, group_by=options["by"], start=start, end=end, node=node)
        except (ValidationError, PermissionDenied) as exc:
            raise command_error(exc) from None
        except Http404:
            raise CommandError(f"no grid with code {options['grid']} in your scope") from None
        if options["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=1, default=str))
            return
        head = ["", "上报", "立案率", "按期处置率", "结案率", "按期结案率", "返工率", "满意度", "满意(4-5)", "处置时长h", "P90h", "漏报"]  # fmt: skip
        lines = [head]
        for r in rows:
            lines.append(
                [
                    str(r["label"])[:24],
                    str(r["reported"]),
                    *(
                        _pct(r[k])
                        for k in (
                            "registration_rate",
                            "on_time_handling_rate",
                            "closing_rate",
                            "on_time_closing_rate",
                            "rework_rate",
                        )
                    ),
                    "-" if r["satisfaction_mean"] is None else f"{r['satisfaction_mean']:.2f}",
                    _pct(r["satisfaction_share"]),
                    _num(r["handling_hours_mean"]),
                    _num(r["handling_hours_p90"]),
                    str(r["missed"]),
                ]
            )
        widths = [max(_width(line[i]) for line in lines) for i in range(len(head))]
        for line in lines:
            self.stdout.write(
                "  ".join(
                    cell + " " * (widths[i] - _width(cell))
                    if i == 0
                    else " " * (widths[i] - _width(cell)) + cell
                    for i, cell in enumerate(line)
                )
            )
        self.stdout.write(f"period {start} – {end} (end excluded); formulas: docs/metrics.md")


def _pct(value) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _num(value) -> str:
    return "-" if value is None else f"{value:.1f}"


def _width(text: str) -> int:
    """Display width: a Chinese character takes two columns in a terminal."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
