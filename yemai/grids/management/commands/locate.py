"""``yemai locate LON LAT`` or ``yemai locate --csv points.csv -o out.csv``."""

from __future__ import annotations

import io
import sys
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from yemai.grids import coords, points
from yemai.grids.locator import locate


def _open_text(path: Path):
    """A CSV as text: UTF-8 (with or without BOM), else GBK as Excel in China writes it."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")


class Command(BaseCommand):
    help = (
        "Find the micro-grid of a point (LON LAT), or of every row of a CSV (--csv). A point "
        "on a shared border goes to the lowest grid code; a point outside every grid goes "
        "to the nearest one within YEMAI_GRID_LOCATE_NEAREST_M metres."
    )

    def add_arguments(self, parser):
        parser.add_argument("lon", nargs="?", type=float, help="longitude in degrees")
        parser.add_argument("lat", nargs="?", type=float, help="latitude in degrees")
        parser.add_argument(
            "--crs",
            default=coords.WGS84,
            choices=coords.CRS_CHOICES,
            help="coordinate system of the input: wgs84, gcj02 (Amap, Tencent), bd09 (Baidu)",
        )
        parser.add_argument(
            "--csv",
            metavar="FILE",
            help="a CSV with lon and lat columns (or 经度/纬度); adds grid_code, grid_name, "
            "distance_m to each row",
        )
        parser.add_argument("-o", "--output", help="where the --csv result goes (default stdout)")

    def handle(self, *args, lon, lat, crs, csv, output, **options):
        if csv:
            return self._csv(Path(csv), output, crs)
        if lon is None or lat is None:
            raise CommandError("give LON LAT, or --csv FILE")
        wlon, wlat = coords.to_wgs84(lon, lat, crs)
        hit = locate(wlon, wlat)
        if hit is None:
            self.stdout.write(f"{lon} {lat}: in no micro-grid")
            return
        where = "inside" if hit.distance_m == 0 else f"{hit.distance_m:.1f} m outside"
        self.stdout.write(f"{hit.code}\t{hit.name}\t({where})")

    def _csv(self, path: Path, output: str | None, crs: str):
        if not path.exists():
            raise CommandError(f"{path}: no such file")
        source = io.StringIO(_open_text(path), newline="")
        target = io.StringIO(newline="")
        try:
            report = points.locate_csv(source, target, crs=crs, progress=sys.stderr.isatty())
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        if output:
            # With a BOM so that Excel opens the Chinese names correctly.
            Path(output).write_text(target.getvalue(), encoding="utf-8-sig", newline="")
        else:
            self.stdout.write(target.getvalue(), ending="")
        if report.bad_rows:
            shown = ", ".join(str(n) for n in report.bad_rows[:20])
            self.stderr.write(f"rows without valid lon/lat (line numbers): {shown}")
        self.stderr.write(f"{report.located} of {report.rows} points located")
