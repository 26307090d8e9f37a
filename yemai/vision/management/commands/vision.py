"""``yemai vision``: run the camera AI worker; make a demo video; import cameras; status."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Camera AI. 'yemai vision run' watches the cameras its leases give it and raises "
        "cases through the API (YEMAI_API_URL, YEMAI_API_TOKEN); 'yemai vision demo-video "
        "out.mp4' writes a synthetic street video; 'yemai vision import cameras.xlsx' imports "
        "cameras; 'yemai vision status' prints workers and cameras."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action")
        run = sub.add_parser("run", help="run a worker (the default)")
        run.add_argument(
            "--detector",
            default=os.environ.get("YEMAI_VISION_DETECTOR", "stationary"),
            help="'stationary' (no model) or 'onnx:/path/model.onnx' (a YOLO ONNX model)",
        )
        run.add_argument("--class-map", default="", help="JSON {model class: label}")
        run.add_argument("--providers", default="auto", choices=["auto", "cpu", "cuda"])
        run.add_argument("--api-url", default=os.environ.get("YEMAI_API_URL", ""))
        run.add_argument("--token", default=os.environ.get("YEMAI_API_TOKEN", ""))
        run.add_argument("--name", default="", help="worker name (default host-pid)")
        run.add_argument("--lease", type=float, default=30.0, help="lease seconds (takeover)")
        run.add_argument("--heartbeat", type=float, default=5.0)
        run.add_argument("--batch", type=int, default=8)
        run.add_argument("--max-width", type=int, default=640)
        run.add_argument("--min-hits", type=int, default=3, help="samples before a track counts")
        run.add_argument(
            "--fast", action="store_true", help="read files as fast as possible (tests)"
        )
        run.add_argument("--once", action="store_true", help="files once, then stop")
        run.add_argument("--seconds", type=float, default=0, help="stop after this long")
        # ``yemai vision`` alone is ``yemai vision run`` with its defaults.
        parser.set_defaults(
            **{a.dest: a.default for a in run._actions if a.dest not in {"help", "action"}}
        )
        video = sub.add_parser("demo-video", help="write a synthetic street video")
        video.add_argument("path")
        video.add_argument("--width", type=int, default=640)
        video.add_argument("--height", type=int, default=480)
        video.add_argument("--fps", type=float, default=5.0)
        importer = sub.add_parser("import", help="import cameras from xlsx or CSV")
        importer.add_argument("path")
        importer.add_argument("--user", required=True, help="the account that imports")
        sub.add_parser("status", help="workers and cameras, as JSON")

    def handle(self, *args, **options):
        action = options.get("action") or "run"
        if action == "demo-video":
            return self._demo_video(options)
        if action == "import":
            return self._import(options)
        if action == "status":
            return self._status()
        return self._run(options)

    def _demo_video(self, options):
        from yemai.vision.synth import street_scene, write_video

        scene = street_scene(width=options["width"], height=options["height"], fps=options["fps"])
        path = write_video(scene, options["path"])
        self.stdout.write(
            f"{path}: {scene.duration:.0f} s, {scene.width}x{scene.height}; a parked object "
            f"stands in the pavement zone {json.dumps(scene.zone)} from 8 s to 45 s"
        )

    def _import(self, options):
        from yemai.accounts.models import User
        from yemai.vision.importers import camera_import

        user = User.objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"no account {options['user']}")
        with open(options["path"], "rb") as fh:
            data = fh.read()
        try:
            result = camera_import(user=user, data=data)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        for error in result.errors:
            self.stderr.write(str(error))
        self.stdout.write(f"created {result.created}, updated {result.updated}")
        if result.errors:
            sys.exit(1)

    def _status(self):
        from yemai.vision.models import Camera
        from yemai.vision.selectors import worker_list

        out = {
            "workers": worker_list(),
            "cameras": list(
                Camera.objects.values(
                    "code", "status", "fps", "lease_owner", "last_frame_at", "last_alarm_at"
                )
            ),
        }
        self.stdout.write(json.dumps(out, default=str, ensure_ascii=False, indent=1))

    def _run(self, options):
        from yemai.vision.client import CaseApi
        from yemai.vision.detectors import detector_build
        from yemai.vision.worker import VisionWorker

        extra = {}
        if options["detector"].startswith("onnx:"):
            extra["providers"] = options["providers"]
            if options["class_map"]:
                extra["class_map"] = json.loads(options["class_map"])
        try:
            detector = detector_build(options["detector"], **extra)
        except (ValueError, OSError) as exc:
            raise CommandError(str(exc)) from None
        api = None
        if options["api_url"] and options["token"]:
            api = CaseApi(options["api_url"], options["token"])
        else:
            self.stderr.write(
                "no --api-url/--token (YEMAI_API_URL, YEMAI_API_TOKEN): alarms are stored, "
                "cases are not raised"
            )
        worker = VisionWorker(
            detector=detector,
            api=api,
            name=options["name"] or None,
            lease_s=options["lease"],
            heartbeat_s=options["heartbeat"],
            batch=options["batch"],
            max_width=options["max_width"],
            realtime=not options["fast"],
            loop_files=not options["once"],
            min_hits=options["min_hits"],
        )
        signal.signal(signal.SIGTERM, lambda *_: worker.stop_event.set())
        self.stdout.write(f"vision worker {worker.name} ({detector.name}) started")
        self.stdout.flush()
        with contextlib.suppress(KeyboardInterrupt):
            worker.run(max_seconds=options["seconds"] or None, until_idle=options["once"])
        self.stdout.write(
            f"vision worker {worker.name} stopped: {worker.analysed} frames, "
            f"{worker.alarms_raised} alarms"
        )
