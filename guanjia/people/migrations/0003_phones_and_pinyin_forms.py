"""Stored phone numbers in their one form (0571-88886666 was kept with its dash and then not
found by 057188886666; +86 numbers kept their prefix), and every pinyin reading of each name
(长孙无忌 was indexed as cswj only). The same work as `manage.py reindex_people`."""

from django.db import migrations


def reindex(apps, schema_editor):
    from guanjia.people.actions.persons import reindex_people

    reindex_people(person_model=apps.get_model("people", "Person"))


class Migration(migrations.Migration):
    dependencies = [("people", "0002_search_indexes")]

    operations = [migrations.RunPython(reindex, migrations.RunPython.noop, elidable=True)]
