"""``yemai vision`` subcommands and the demo rows."""

from __future__ import annotations

import json

import av
import pytest
from django.core.management import CommandError, call_command

from yemai.vision.demo import demo_populate
from yemai.vision.models import Camera, Zone


def test_demo_video_writes_a_playable_street(tmp_path, capsys):
    path = tmp_path / "street.mp4"
    call_command("vision", "demo-video", str(path), "--width", "320", "--height", "240")
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert (stream.width, stream.height) == (320, 240)
        assert sum(1 for _ in container.decode(stream)) == 300  # 60 s at 5 fps
    assert "parked object" in capsys.readouterr().out


def test_import_reads_a_csv_and_says_what_it_did(town, tmp_path, capsys):
    path = tmp_path / "cams.csv"
    path.write_text("code,name,lon,lat,stream_url\nK1,东门,121.205,30.205,rtsp://a/1\n")
    call_command("vision", "import", str(path), "--user", "operator")
    assert "created 1" in capsys.readouterr().out
    assert Camera.objects.get(code="K1").grid == town.dongmen1
    with pytest.raises(CommandError):
        call_command("vision", "import", str(path), "--user", "nobody")


def test_status_prints_workers_and_cameras(town, capsys):
    Camera.objects.create(grid=town.dongmen1, code="ST1", name="x", lon=121.205, lat=30.205)
    call_command("vision", "status")
    out = json.loads(capsys.readouterr().out)
    assert out["workers"] == [] and out["cameras"][0]["code"] == "ST1"


def test_a_bad_detector_is_a_clear_error(db):
    with pytest.raises(CommandError, match="unknown detector"):
        call_command("vision", "run", "--detector", "magic")


def test_the_demo_draws_zones_on_demo_cameras(town):
    for i in range(3):
        Camera.objects.create(grid=town.dongmen1, code=f"D{i}", name="x", lon=121.205, lat=30.205)
    assert demo_populate(plan=None, loaded=None, seed=1, progress=False) == {"camera zones": 3}
    assert Zone.objects.filter(review_required=True).count() == 1
