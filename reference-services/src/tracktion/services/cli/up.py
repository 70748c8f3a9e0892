"""``tracktion up``: the whole system in one process, on the embedded defaults."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from tracktion.contracts import TracktionError

from .rendering import EXIT_USAGE
from .worker import configure_logging

__all__ = ["api", "up"]


def up(
    roots: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="[LIBRARY_ROOT]...",
            help="Music folders to catalog, analyze and watch (default: a demo library).",
        ),
    ] = None,
    port: Annotated[
        int | None, typer.Option("--port", help="The API's port (default 8000).")
    ] = None,
    host: Annotated[
        str | None, typer.Option("--host", help="The API's address (default 127.0.0.1).")
    ] = None,
    log_level: Annotated[str, typer.Option("--log-level")] = "info",
) -> None:
    """Start every service and the API; Ctrl-C stops them gracefully.

    Without a folder, a small demo library is written to the data directory and used.
    The API's admin token is printed at first start (or set TRACKTION_API_TOKENS).
    """
    from tracktion.services.demo import write_demo_library
    from tracktion.services.runtime import run_process
    from tracktion.services.settings import Settings
    from tracktion.services.system import SystemInfo, data_dir, run_system

    configure_logging(log_level)
    try:
        settings = Settings()
        folders = [str(root.resolve()) for root in roots or ()] or list(settings.library_roots)
        for folder in folders:
            if not Path(folder).is_dir():
                raise typer.BadParameter(f"{folder} is not a folder", param_hint="LIBRARY_ROOT")
        if not folders:
            demo = data_dir(settings) / "demo-library"
            write_demo_library(demo)
            folders = [str(demo)]
            sys.stderr.write(f"no library folder given: using the demo library in {demo}\n")
        changes: dict[str, object] = {"library_roots": folders}
        if port is not None:
            changes["api_port"] = port
        if host is not None:
            changes["api_host"] = host
        settings = settings.model_copy(update=changes)

        def started(info: SystemInfo) -> None:
            print(f"Tracktion is up: {info.url}  (docs: {info.url}/docs, WebSocket: /v1/ws)")
            print(f"library: {', '.join(info.roots)}")
            print(f"services: {', '.join(info.services)}")
            if info.token_generated:
                print(f"admin API token (kept in {data_dir(settings)}): {info.token}")
            sys.stdout.flush()

        run_process(run_system(settings, on_started=started))
    except (TracktionError, OSError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        raise typer.Exit(EXIT_USAGE) from None
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


def api(
    port: Annotated[int | None, typer.Option("--port", help="Default 8000.")] = None,
    host: Annotated[str | None, typer.Option("--host", help="Default 127.0.0.1.")] = None,
    log_level: Annotated[str, typer.Option("--log-level")] = "info",
) -> None:
    """Run the REST API and the WebSocket alone (the services run as workers elsewhere)."""
    from tracktion.services.runtime import run_process
    from tracktion.services.settings import Settings
    from tracktion.services.system import SystemInfo, run_system

    configure_logging(log_level)
    changes: dict[str, object] = {}
    if port is not None:
        changes["api_port"] = port
    if host is not None:
        changes["api_host"] = host
    try:
        settings = Settings().model_copy(update=changes)

        def started(info: SystemInfo) -> None:
            print(f"Tracktion API: {info.url}", flush=True)
            if info.token_generated:
                print(f"admin API token: {info.token}", flush=True)

        run_process(run_system(settings, services=(), on_started=started))
    except (TracktionError, OSError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        raise typer.Exit(EXIT_USAGE) from None
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
