"""The ``yemai`` command: Yemai's own commands first, every Django command behind them.

``yemai`` alone or ``yemai --help`` lists Yemai's commands; ``yemai COMMAND --help`` explains
one; ``yemai django-help`` lists the Django commands that also work (migrate, createsuperuser …).
"""

from __future__ import annotations

import os
import sys

# name → one line; each is a Django management command of the same name in a Yemai app.
COMMANDS = {
    "serve": "apply migrations and serve pages, API and admin on one port (embedded tier)",
    "demo": "generate the synthetic demo town (45 villages, 172 micro-grids, ~60,000 residents)",
    "grids": "import, export and check grid boundaries (GeoJSON, zipped Shapefile)",
    "locate": "find the micro-grid of one point, or of every point in a CSV file",
    "people": "import and export the people ledgers (residents, houses, households, organisations)",
    "keys": "generate encryption keys, rotate personal data and search hashes to the newest key",
    "cases": "import 12345 hotline tickets (xlsx, CSV) and print the closed loop's metrics",
    "deadlines": "watch step deadlines: reminders and escalation up the chain (runs in workers)",
    "worker": "run background tasks (notices, reminders) in their own process (PostgreSQL tier)",
    "notify": "test a notification channel, resend waiting notices, make web push keys",
    "tokens": "API tokens for staff apps and machine clients (create, list, revoke)",
    "vision": "camera AI worker: watch cameras, raise cases (run, demo-video, import, status)",
    "report": "the year-end work report (docx), campaign notices and statistical tables",
    "audit": "the audit log: verify its hash chain, export it, purge past the retention",
    "sensitive": "patrol tracks and check-in selfies: purge past the retention, erase on request",
    "backup": "an encrypted backup of the whole database, to a file",
    "restore": "restore an encrypted backup into an empty, migrated database",
    "migrate": "create or update the database tables",
    "createsuperuser": "create an unrestricted set-up account",
}


def _usage() -> str:
    width = max(len(n) for n in COMMANDS)
    lines = [
        "usage: yemai COMMAND [options]   (yemai COMMAND --help for one command)",
        "",
        "Yemai (叶脉): grassroots grid governance.",
        "",
        "commands:",
    ]
    lines += [f"  {name.ljust(width)}  {text}" for name, text in COMMANDS.items()]
    lines += [
        "",
        "  django-help  list every Django management command (all work as yemai COMMAND)",
        "",
        "environment: DATABASE_URL, YEMAI_SECRET_KEY, YEMAI_ENCRYPTION_KEYS, YEMAI_LOOKUP_KEY,",
        "YEMAI_DEMO, YEMAI_MAP_TILES … (docs/operator-guide.md)",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yemai.settings")
    if not argv or argv[0] in {"-h", "--help", "help"} and len(argv) == 1:
        print(_usage())
        return 0
    if argv[0] == "django-help":
        argv = ["help"]
    if argv == ["keys", "generate"]:
        # Runs before the settings load: they refuse to start until these keys exist.
        from yemai.core.keys import keys_generate_lines

        print(keys_generate_lines())
        return 0
    from django.core.exceptions import ImproperlyConfigured

    try:
        from django.core.management import execute_from_command_line

        execute_from_command_line(["yemai", *argv])
    except ImproperlyConfigured as exc:
        print(f"yemai: configuration error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
