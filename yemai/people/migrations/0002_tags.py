from django.db import migrations

CARE_TAGS = ["独居老人", "低保", "特困", "残疾", "留守儿童", "困难青少年"]
RESTRICTED_TAGS = ["社区矫正", "刑满释放", "严重精神障碍", "吸毒", "信访重点"]


def create_tags(apps, schema_editor):
    Tag = apps.get_model("people", "Tag")
    for name in CARE_TAGS:
        Tag.objects.get_or_create(name=name, defaults={"restricted": False})
    for name in RESTRICTED_TAGS:
        Tag.objects.get_or_create(name=name, defaults={"restricted": True})


class Migration(migrations.Migration):
    dependencies = [("people", "0001_initial")]
    operations = [migrations.RunPython(create_tags, migrations.RunPython.noop)]
