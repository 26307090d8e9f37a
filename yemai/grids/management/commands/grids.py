"""``yemai grids import|export|check``: boundaries in and out, and the boundary check."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from yemai.grids import coords, io
from yemai.grids.models import GridNode
from yemai.grids.validation import boundary_check


def _node(code: str | None) -> GridNode | None:
    if not code:
        return None
    try:
        return GridNode.objects.get(code=code)
    except GridNode.DoesNotExist:
        raise CommandError(f"no grid with code {code}") from None


class Command(BaseCommand):
    help = (
        "Import, export and check grid boundaries. "
        "Run `yemai grids import --help` (or export, check) for one action."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

        imp = actions.add_parser(
            "import",
            help="import boundaries from GeoJSON or a (zipped) Shapefile, all or nothing",
            description=(
                "Create or update grids by code from a GeoJSON FeatureCollection or a "
                "Shapefile (.zip, or a .shp with its .shx/.dbf/.prj/.cpg beside it). Features "
                "carry code and name, optionally level (town/village/micro, else from the "
                "code's length), parent (else from the code) and village_kind. Every bad "
                "feature is reported and nothing is saved unless the whole file is clean; "
                "gaps are warnings."
            ),
        )
        imp.add_argument("file", help="a .geojson/.json, a .zip Shapefile or a .shp")
        imp.add_argument(
            "--crs",
            default=coords.WGS84,
            choices=coords.CRS_CHOICES,
            help="coordinate system of the file: wgs84 (also CGCS2000), gcj02 (Amap, "
            "Tencent) or bd09 (Baidu); converted to WGS-84 on entry (default wgs84)",
        )
        imp.add_argument(
            "--encoding",
            help="attribute encoding of a Shapefile without .cpg, e.g. gbk "
            "(default: try UTF-8, then GBK)",
        )
        imp.add_argument("--dry-run", action="store_true", help="check everything, save nothing")

        exp = actions.add_parser(
            "export",
            help="export the boundaries of a subtree",
            description="Write a subtree's boundaries as GeoJSON or as a zipped Shapefile "
            "(UTF-8 with .cpg, WGS-84 with .prj).",
        )
        exp.add_argument("--root", help="code of the subtree's root (default: every grid)")
        exp.add_argument(
            "--format", choices=["geojson", "shapefile"], default="geojson", help="file format"
        )
        exp.add_argument(
            "-o", "--output", required=True, help="file to write ('-' for stdout, GeoJSON only)"
        )
        exp.add_argument(
            "--crs",
            default=coords.WGS84,
            choices=coords.CRS_CHOICES,
            help="coordinate system of a GeoJSON export (a Shapefile is always WGS-84)",
        )

        chk = actions.add_parser(
            "check",
            help="check boundaries: invalid rings, stick-outs, overlaps (errors), gaps (warnings)",
            description="Check every boundary under a root and print errors and gap warnings; "
            "exits with status 1 when there is an error.",
        )
        chk.add_argument("--root", help="code of the subtree's root (default: every grid)")

    def handle(self, *args, action: str, **options):
        return getattr(self, f"handle_{action}")(**options)

    def handle_import(self, *, file: str, crs: str, encoding: str | None, dry_run: bool, **_):
        path = Path(file)
        if not path.exists():
            raise CommandError(f"{file}: no such file")
        data, filename = io.load_file(path)
        try:
            report = io.grid_boundaries_import(
                data=data,
                filename=filename,
                crs=crs,
                encoding=encoding,
                dry_run=dry_run,
                progress=sys.stderr.isatty(),
            )
        except io.BoundaryImportError as exc:
            for line in exc.report.errors:
                self.stderr.write(f"error: {line}")
            raise CommandError(
                f"nothing imported: {len(exc.report.errors)} error(s) in {file}"
            ) from None
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        for line in report.warnings:
            self.stdout.write(f"warning: {line}")
        verb = "would be" if dry_run else "were"
        self.stdout.write(
            self.style.SUCCESS(
                f"{file} ({report.format}, {report.encoding}): {len(report.created)} grids "
                f"{verb} created, {len(report.updated)} updated, {len(report.unchanged)} unchanged"
            )
        )

    def handle_export(self, *, root: str | None, format: str, output: str, crs: str, **_):
        node = _node(root)
        if format == "geojson":
            doc = io.grid_boundaries_geojson(root=node, crs=crs)
            text = json.dumps(doc, ensure_ascii=False)
            if output == "-":
                self.stdout.write(text)
                return
            Path(output).write_text(text, encoding="utf-8")
            count = len(doc["features"])
        else:
            if output == "-":
                raise CommandError("a Shapefile cannot go to stdout: give -o FILE.zip")
            if crs != coords.WGS84:
                raise CommandError("a Shapefile export is always WGS-84: drop --crs")
            Path(output).write_bytes(io.grid_boundaries_shapefile(root=node))
            count = (
                GridNode.objects.filter(path__startswith=node.path).count()
                if node
                else GridNode.objects.count()
            )
        self.stdout.write(self.style.SUCCESS(f"{count} grids written to {output}"))

    def handle_check(self, *, root: str | None, **_):
        report = boundary_check(root=_node(root))
        for issue in report.errors:
            self.stdout.write(f"error: {issue.message}")
        for issue in report.warnings:
            self.stdout.write(f"warning: {issue.message}")
        summary = f"{len(report.errors)} error(s), {len(report.warnings)} warning(s)"
        if report.errors:
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(summary))
