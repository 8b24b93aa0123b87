"""A partial index for the head butler's board: only the requests still on it (not closed or
cancelled), by estate. At a service center almost every request is finished, so the board
reads a few thousand index entries instead of scanning every request the estate ever had.

Written as SQL, not in Request.Meta.indexes, so that models.py (another workstream's file)
stays as it is; makemigrations does not see indexes made this way. Both SQLite and
PostgreSQL accept partial indexes in this form."""

from django.db import migrations

CREATE = (
    "CREATE INDEX request_open_board_idx ON servicedesk_request (estate_id, resolve_by) "
    "WHERE status NOT IN ('closed', 'cancelled')"
)
DROP = "DROP INDEX request_open_board_idx"


class Migration(migrations.Migration):
    dependencies = [("servicedesk", "0003_status_label")]

    operations = [migrations.RunSQL(CREATE, DROP)]
