from decimal import Decimal

from django.db import migrations


def load(apps, schema_editor):
    from yemai.cases.taxonomy import MAIN, SUB

    Category = apps.get_model("cases", "Category")
    mains = {}
    for sort, (code, name, kind) in enumerate(MAIN):
        mains[code], _ = Category.objects.get_or_create(
            code=code, defaults={"name": name, "kind": kind, "sort": sort * 100}
        )
    for sort, (code, name, priority, hours, _dept, rating) in enumerate(SUB):
        parent = mains[code[:2]]
        Category.objects.get_or_create(
            code=code,
            defaults={
                "parent": parent, "name": name, "kind": parent.kind, "priority": priority,
                "accept_hours": Decimal(str(hours[0])), "handle_hours": Decimal(str(hours[1])),
                "verify_hours": Decimal(str(hours[2])), "rating_asked": rating,
                "sort": parent.sort + sort + 1,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
