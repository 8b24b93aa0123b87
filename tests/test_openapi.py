import json
import re
from pathlib import Path

from config.api import api

COMMITTED = Path(__file__).resolve().parent.parent / "docs" / "openapi.json"


def test_committed_schema_matches_the_code():
    generated = json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/v1/"), sort_keys=True))
    committed = json.loads(COMMITTED.read_text())
    assert generated == committed, "the API changed: run `make openapi` and commit docs/openapi.json"


def test_docs_page_is_served_without_a_cdn(client, db):
    response = client.get("/api/docs")
    assert response.status_code == 200
    body = response.content.decode()
    # Every script and stylesheet comes from this server, none from another host.
    assert not re.search(r'(src|href)="(https?:)?//', body), body
    assert "/static/ninja/swagger-ui-bundle.js" in body
