"""``yemai report work|notice|tables``: the work report, a campaign notice, statistical tables."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404
from tqdm import tqdm

from yemai.core.commands import command_error, user_named
from yemai.ledgers import selectors as ledger_selectors
from yemai.ledgers.access import node_by_code
from yemai.reports import services
from yemai.reports.figures import Period, year_period


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"not a date (YYYY-MM-DD): {text}") from None


class Command(BaseCommand):
    help = (
        "Write reports from the ledgers and cases: `yemai report work` (工作汇报, Word + a "
        "workbook tracing every figure, optionally PDF), `yemai report notice` (会战通报) and "
        "`yemai report tables` (统计表, Excel)."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        work = actions.add_parser(
            "work", help="the work report of a grid node for a year or period"
        )
        tables = actions.add_parser("tables", help="statistical tables (xlsx) for a period")
        for p in (work, tables):
            p.add_argument("--node", required=True, help="grid code (town or village)")
            p.add_argument("--year", type=int, help="a calendar year (default: this year)")
            p.add_argument("--start", help="first day (YYYY-MM-DD), instead of --year")
            p.add_argument("--end", help="last day, included (YYYY-MM-DD)")
            p.add_argument("--out", required=True, help="the file to write (.docx or .xlsx)")
            p.add_argument("--as", dest="username", help="act as this account (its scope limits)")
        work.add_argument("--figures", help="the companion workbook (default: OUT-数字来源.xlsx)")
        work.add_argument("--pdf", action="store_true", help="also write a PDF (LibreOffice)")
        notice = actions.add_parser("notice", help="the notice (通报) of a campaign")
        notice.add_argument("--campaign", required=True, help="the campaign's name or id")
        notice.add_argument("--out", required=True)
        notice.add_argument("--as", dest="username")

    def handle(self, *args, action, **options):
        user = user_named(options["username"]) if options.get("username") else None
        try:
            if action == "notice":
                return self._notice(user, options)
            node = node_by_code(user, options["node"], field="node")
            period = self._period(options)
            bar = tqdm(
                total=100, unit="%", file=sys.stderr, disable=options.get("verbosity", 1) == 0
            )

            def progress(step, pct):
                bar.set_description(step)
                bar.update(max(0, pct - bar.n))

            out = Path(options["out"])
            if action == "tables":
                out.write_bytes(
                    services.render_tables(user=user, node=node, period=period, progress=progress)
                )
                bar.update(100 - bar.n)
                bar.close()
                self.stdout.write(f"wrote {out}")
                return
            docx, xlsx, timing = services.render_work(
                user=user, node=node, period=period, progress=progress
            )
            out.write_bytes(docx)
            figures = Path(options.get("figures") or out.with_name(out.stem + "-数字来源.xlsx"))
            figures.write_bytes(xlsx)
            if options.get("pdf"):
                progress("转换PDF", 90)
                pdf = services.docx_to_pdf(docx)
                if pdf is None:
                    self.stderr.write("LibreOffice (soffice) is not installed: no PDF written")
                else:
                    out.with_suffix(".pdf").write_bytes(pdf)
            bar.update(100 - bar.n)
            bar.close()
            self.stdout.write(
                f"wrote {out} and {figures}: {timing['figures']} figures, queries "
                f"{timing['queries_s']:.2f} s, writing {timing['writing_s']:.2f} s"
            )
        except (ValidationError, PermissionDenied) as exc:
            raise command_error(exc) from None
        except Http404:
            raise CommandError("not found in your scope") from None

    def _period(self, options) -> Period:
        if options.get("start") or options.get("end"):
            if not (options.get("start") and options.get("end")):
                raise CommandError("give both --start and --end")
            return services.period_check(
                _date(options["start"]), _date(options["end"]) + dt.timedelta(days=1)
            )
        year = options.get("year") or dt.date.today().year
        return year_period(year)

    def _notice(self, user, options):
        ref = options["campaign"]
        campaign = ledger_selectors.campaign_get(
            user=user, **({"pk": int(ref)} if ref.isdigit() else {"name": ref})
        )
        Path(options["out"]).write_bytes(services.render_notice(user=user, campaign=campaign))
        self.stdout.write(f"wrote {options['out']}")
