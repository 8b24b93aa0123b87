"""The desk's stored phone numbers in their one form (core.validators.normalize_phone): a key
is lent only when the borrower's phone matches the owner's authorization exactly, and an
authorization written as 0571-88886666 would no longer match the same number typed today."""

from django.db import migrations

PHONE_COLUMNS = (
    ("KeyAuthorization", "borrower_phone"),
    ("KeyLoan", "borrower_phone"),
    ("Parcel", "left_by_phone"),
    ("Visit", "visitor_phone"),
)


def normalise(apps, schema_editor):
    from guanjia.core.validators import normalize_phone, phone_problem

    for model_name, field in PHONE_COLUMNS:
        model = apps.get_model("frontdesk", model_name)
        stored = model.objects.exclude(**{field: ""}).values_list(field, flat=True).distinct()
        for value in list(stored.iterator(chunk_size=2000)):
            normal = normalize_phone(value)
            # A value that is no valid number is left as it was.
            if normal != value and phone_problem(normal) is None:
                model.objects.filter(**{field: value}).update(**{field: normal})


class Migration(migrations.Migration):
    dependencies = [("frontdesk", "0003_custody_photos")]

    operations = [migrations.RunPython(normalise, migrations.RunPython.noop, elidable=True)]
