"""The arrows point one way: a domain uses another only through its services and selectors.

Domains may import each other's ``models`` only where listed below — debts to pay off, not
permissions to copy. A new cross-domain model import fails this test: call the other domain's
selectors or services instead (docs/development/adding-a-model.md).
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "yemai"
DOMAINS = {"grids", "people", "cases", "vision", "notify", "ledgers", "reports", "duty"}
IMPORT = re.compile(r"^\s*from yemai\.(\w+)\.models import ([\w, ()]+)", re.M)

# (importing file, imported app) pairs that exist today. Shrink this list; never grow it.
KNOWN_DEBTS = {
    ("notify/services.py", "grids"),
    ("people/access.py", "grids"),
    ("people/services.py", "grids"),
    ("people/selectors.py", "grids"),
    ("people/exporters.py", "grids"),
    ("people/place_services.py", "grids"),
    ("cases/routing.py", "grids"),
    ("cases/management/commands/cases.py", "grids"),
    ("cases/metrics.py", "grids"),
    ("cases/actions.py", "grids"),
    ("cases/services.py", "grids"),
    ("cases/selectors.py", "grids"),
    ("cases/admin.py", "grids"),
}


def cross_domain_model_imports():
    found = set()
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT).as_posix()
        own = relative.split("/")[0]
        if own not in DOMAINS or "/migrations/" in relative:
            continue
        for match in IMPORT.finditer(path.read_text(encoding="utf-8")):
            other = match.group(1)
            if other != own and other in DOMAINS:
                found.add((relative, other))
    return found


def test_no_domain_reaches_into_another_domains_models():
    assert cross_domain_model_imports() - KNOWN_DEBTS == set()


def test_the_list_of_debts_is_current():
    # A debt paid off must leave the list, so that it cannot come back unnoticed.
    assert KNOWN_DEBTS - cross_domain_model_imports() == set()
