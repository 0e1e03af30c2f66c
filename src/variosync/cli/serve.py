"""``variosync serve``: the REST API (and later the dashboard) in one uvicorn process."""

from __future__ import annotations

import click

from variosync.cli.context import echo_err, load_settings, reports_errors


@click.command()
@click.option("--host", help="Address to listen on (default: VARIOSYNC_HOST or 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default: PORT or 8000).")
@click.option(
    "--log-level",
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
    default="info",
    show_default=True,
)
@click.pass_context
@reports_errors
def serve(ctx: click.Context, host: str | None, port: int | None, log_level: str) -> None:
    """Run the server: the dashboard at /, REST API under /api/v1, OpenAPI docs at /docs.

    With no settings it runs on the embedded default (SQLite catalog and local store in the
    home folder); DATABASE_URL=postgresql://… uses PostgreSQL, migrated by `variosync db
    upgrade` first.

    Example: variosync serve --port 8000
    """
    import uvicorn

    from variosync.service import Variosync
    from variosync.web import create_web_app

    settings = load_settings(ctx)
    updates: dict[str, object] = {}
    if host is not None:
        updates["host"] = host
    if port is not None:
        updates["port"] = port
    settings = settings.model_copy(update=updates)
    Variosync(settings).close()  # a clear error now for an unmigrated or unreachable catalog
    echo_err(f"serving on http://{settings.host}:{settings.port} (docs at /docs)")
    uvicorn.run(
        create_web_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=log_level,
        proxy_headers=False,
        server_header=False,
        # open event streams (/api/v1/events) would otherwise hold a shutdown forever
        timeout_graceful_shutdown=5,
    )
