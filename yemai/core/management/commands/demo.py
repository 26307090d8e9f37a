"""``yemai demo [--seed N] [--scale 1.0] [--reset]``: load the synthetic demo town."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from yemai.core.demo.build import DemoRefused, demo_load
from yemai.core.demo.logins import logins_table


def print_result(stdout, result) -> None:
    """The summary every demo load prints (also used by ``yemai serve --demo``)."""
    plan = result.plan
    stdout.write(
        f"Demo town {plan.town.name} ({plan.town.code}), seed {plan.seed}, scale {plan.scale}:"
    )
    for what, count in result.counts().items():
        stdout.write(f"  {count:>7,} {what}")
    stdout.write(f"generated in {result.seconds:.1f} s")
    if result.logins:
        stdout.write("")
        stdout.write(logins_table(result.logins))
    elif not settings.DEMO:
        stdout.write("No demo logins: they are created only with YEMAI_DEMO=1.")


class Command(BaseCommand):
    help = (
        "Generate the synthetic demo town (45 villages and communities, 172 micro-grids, "
        "1,150 cameras, about 60,000 residents) into an empty database. The same seed gives "
        "the same town. With YEMAI_DEMO=1 it also creates one login per role."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help="size of the town relative to the source (default 1.0; 0.05 for a small one)",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="delete every grid, user and resident first (only with YEMAI_DEMO=1)",
        )

    def handle(self, *args, seed, scale, reset, **options):
        try:
            result = demo_load(
                seed=seed, scale=scale, reset=reset, progress=options["verbosity"] > 0
            )
        except DemoRefused as exc:
            raise CommandError(str(exc)) from None
        print_result(self.stdout, result)
