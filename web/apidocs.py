"""``/api/docs``: Swagger UI 5 (it reads FastAPI's OpenAPI 3.1) from the assets the
``fastapi-offline`` package ships, so the page works offline and keeps a strict
Content-Security-Policy (scripts only from here). Only the files are used."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/api/docs/assets"
#: Swagger UI sets style attributes from its script, hence 'unsafe-inline' for styles only
DOCS_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            "script-src 'self'; frame-ancestors 'none'; form-action 'self'")
PAGE = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Tainan Secretariat records API</title>
<link rel="stylesheet" href="{ASSETS}/swagger-ui.css">
<link rel="icon" href="data:,">
</head><body><div id="swagger-ui"></div>
<script src="{ASSETS}/swagger-ui-bundle.js"></script>
<script src="/static/swagger-init.js"></script>
</body></html>"""


def mount_docs(app: FastAPI) -> None:
    assets = Path(str(files("fastapi_offline") / "static"))
    app.mount(ASSETS, StaticFiles(directory=assets), name="swagger-ui")

    @app.get("/api/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(PAGE)
