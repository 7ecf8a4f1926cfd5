"""``records serve``: the web application (search, documents, queues, audit, JSON API)."""

from __future__ import annotations

import typer

from commands.common import err_console, load_settings

app = typer.Typer()


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", min=1, max=65535),
    secure_cookies: bool = typer.Option(
        False, "--secure-cookies", help="Send the session cookie over HTTPS only (behind TLS)."
    ),
) -> None:
    """Start the web application; log in with the users of `records user add`."""
    import uvicorn

    from web.app import create_app

    application = create_app(load_settings(), secure_cookies=secure_cookies)
    err_console.print(f"records web application on http://{host}:{port}/ (Ctrl-C to stop)")
    uvicorn.run(application, host=host, port=port, log_level="info", proxy_headers=False)
