"""The docker-compose deployment names only real commands, services and settings.

Docker cannot run here; this keeps the file honest: every container runs a command the
``tracktion`` CLI has, every ``TRACKTION_*`` variable is a setting, every worker is a
service.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from typer.main import get_command

from tracktion.services.cli import app
from tracktion.services.runtime import SERVICES
from tracktion.services.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return data


def test_every_service_runs_exactly_once_as_a_worker() -> None:
    workers = [
        spec["command"][2]
        for spec in _compose()["services"].values()
        if spec.get("command", [])[:2] == ["tracktion", "worker"]
    ]
    assert sorted(workers) == sorted(SERVICES)


def test_every_command_exists_in_the_cli() -> None:
    commands = get_command(app).commands  # type: ignore[attr-defined]
    for name, spec in _compose()["services"].items():
        command = spec.get("command")
        if command and command[0] == "tracktion":
            assert command[1] in commands, f"{name}: tracktion {command[1]} does not exist"


def test_every_variable_is_a_setting() -> None:
    known = {f"TRACKTION_{field.upper()}" for field in Settings.model_fields}
    for name, spec in _compose()["services"].items():
        for variable in spec.get("environment", {}) or {}:
            if variable.startswith("TRACKTION_"):
                assert variable in known, f"{name}: {variable} is not a setting"
    # The settings of the shared block parse as the services would read them.
    shared = _compose()["x-tracktion"]["environment"]
    settings = Settings.model_validate(
        {key.removeprefix("TRACKTION_").lower(): value for key, value in shared.items()}
        | {"library_roots": ["/music"]}
    )
    assert settings.broker_url.startswith("amqp://")


def test_the_api_reads_the_cue_files_the_tracklist_service_writes() -> None:
    # The tracklist service writes sheets under <data dir>/cue and the API serves them
    # from the path it records: both containers must see one volume at the data dir.
    compose = _compose()
    data_dir = compose["x-tracktion"]["environment"]["TRACKTION_DATA_DIR"]
    mounts = {
        name: {volume.split(":")[1]: volume.split(":")[0] for volume in spec.get("volumes", [])}
        for name, spec in compose["services"].items()
    }
    assert mounts["tracklist"][data_dir] == mounts["api"][data_dir]
    assert mounts["tracklist"][data_dir] in compose["volumes"]
