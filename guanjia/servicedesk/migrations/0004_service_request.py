"""The model Request becomes ServiceRequest (its name no longer collides with Django's request),
and the board's partial index, made by hand-written SQL in 0003_board_index, becomes a declared
index so that a table rebuild (SQLite remakes a table to alter a column) keeps it."""

from django.db import migrations, models

# The index as 0003_board_index made it, on the table's old name (for going back).
OLD_CREATE = (
    "CREATE INDEX request_open_board_idx ON servicedesk_request (estate_id, resolve_by) "
    "WHERE status NOT IN ('closed', 'cancelled')"
)
OLD_DROP = "DROP INDEX request_open_board_idx"


class Migration(migrations.Migration):
    dependencies = [("servicedesk", "0003_board_index")]

    operations = [
        migrations.RunSQL(OLD_DROP, OLD_CREATE),
        migrations.RenameModel("Request", "ServiceRequest"),
        migrations.AddIndex(
            model_name="servicerequest",
            index=models.Index(
                condition=models.Q(("status__in", ["closed", "cancelled"]), _negated=True),
                fields=["estate", "resolve_by"],
                name="request_open_board_idx",
            ),
        ),
    ]
