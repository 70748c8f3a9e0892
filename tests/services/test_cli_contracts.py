"""The ``tracktion contracts`` commands: output, diagnostics and exit status."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner, Result

from tracktion.contracts import (
    MESSAGE_SPECS,
    Contract,
    ContractValidationError,
    CueGenerationRequest,
    FileLifecycleEvent,
)
from tracktion.services import __version__
from tracktion.services.cli import app

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "messages"
CUE = EXAMPLES / "cue_generation.json"
DISCOVERED = EXAMPLES / "file_discovered.json"
INVALID = EXAMPLES / "invalid_file_event.json"

runner = CliRunner()


def run(*args: str | Path, stdin: bytes | None = None) -> Result:
    return runner.invoke(app, [str(arg) for arg in args], input=stdin)


def validate(*args: str | Path, stdin: bytes | None = None) -> Result:
    return run("contracts", "validate", *args, stdin=stdin)


def field_errors(model: type[Contract], data: bytes) -> list[str]:
    with pytest.raises(ContractValidationError) as caught:
        model.parse(data)
    return [str(error) for error in caught.value.errors]


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout.startswith(f"tracktion {__version__}")


def test_no_arguments_shows_help() -> None:
    result = run("contracts")
    assert result.exit_code == 2
    assert "validate" in result.output


# -- list --------------------------------------------------------------------------------


def test_list_json_names_every_spec_in_order() -> None:
    result = run("contracts", "list", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [row["name"] for row in rows] == [spec.name for spec in MESSAGE_SPECS]
    keys = {"name", "channel", "exchange", "routing_keys", "priority", "direction", "summary"}
    assert all(set(row) == keys for row in rows)
    by_name = {row["name"]: row for row in rows}
    assert by_name["cue_generation"]["exchange"] == "cue.direct"
    assert by_name["cue_generation"]["routing_keys"] == ["cue.generation.single"]
    assert by_name["analysis_cancellation"]["priority"] == 8
    assert by_name["ws_ping"]["exchange"] is None
    assert by_name["ws_ping"]["direction"] == "client"
    assert result.stderr == ""


def test_list_table_is_plain_and_unwrapped_off_a_terminal() -> None:
    result = run("contracts", "list")
    assert result.exit_code == 0, result.output
    assert "\x1b[" not in result.stdout
    lines = result.stdout.splitlines()
    for spec in MESSAGE_SPECS:
        # One row per spec, on one line: nothing is wrapped onto a continuation line.
        (row,) = [line for line in lines if line.split(" ", 1)[0] == spec.name]
        if spec.channel == "websocket":
            assert "/v1/ws" in row
            assert f"{spec.direction} -> " in row
        else:
            assert ", ".join(spec.routing_keys) in row
    (lifecycle,) = [line for line in lines if line.startswith("file_lifecycle ")]
    assert "file_events" in lifecycle
    assert "file.renamed" in lifecycle


# -- validate: valid messages -------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_option", "path", "expected"),
    [
        ("auto", CUE, "cue_generation"),
        ("auto", DISCOVERED, "file_discovered"),
        ("cue_generation", CUE, "cue_generation"),
        ("CueGenerationRequest", CUE, "cue_generation"),
        ("cue.generation.single", CUE, "cue_generation"),
        ("FileDiscoveredEvent", DISCOVERED, "file_discovered"),
    ],
)
def test_validate_valid_file(type_option: str, path: Path, expected: str) -> None:
    result = validate("--type", type_option, path)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"valid {expected}\n"
    assert result.stderr == ""


def test_validate_reads_stdin() -> None:
    result = validate("-t", "auto", "-", stdin=CUE.read_bytes())
    assert result.exit_code == 0, result.output
    assert result.stdout == "valid cue_generation\n"


def test_validate_auto_with_routing_key() -> None:
    # A plain request has no discriminator field: only the routing key tells its type.
    message = json.dumps(
        {
            "recording_id": "8c52350f-6273-4c31-bbce-a7ac7a27ef6d",
            "file_path": "/data/music/techno/Surgeon - Klonk.mp3",
            "analysis_types": ["bpm", "key"],
            "correlation_id": "89eb24ed-e654-4d7b-92f0-f248a0a1997b",
        }
    ).encode()
    result = validate("--type", "auto", "--routing-key", "analysis.request", "-", stdin=message)
    assert result.exit_code == 0, result.output
    assert result.stdout == "valid analysis_request\n"

    without_key = validate("--type", "auto", "-", stdin=message)
    assert without_key.exit_code == 2
    assert "standard input" in without_key.stderr
    assert "--routing-key" in without_key.stderr
    assert without_key.stdout == ""


def test_validate_auto_names_the_websocket_message() -> None:
    result = validate("--type", "auto", "-", stdin=b'{"type": "ping"}')
    assert result.exit_code == 0, result.output
    assert result.stdout == "valid ws_ping\n"


# -- validate: invalid messages -----------------------------------------------------------


@pytest.mark.parametrize("type_option", ["auto", "file_lifecycle", "file.modified"])
def test_validate_invalid_file_lists_every_field_error(type_option: str) -> None:
    expected = field_errors(FileLifecycleEvent, INVALID.read_bytes())
    assert len(expected) == 3

    result = validate("--type", type_option, INVALID)

    assert result.exit_code == 1
    assert result.stdout == "invalid file_lifecycle\n"
    lines = result.stderr.splitlines()
    assert lines == expected
    assert {line.split(":", 1)[0] for line in lines} == {
        "correlation_id",
        "timestamp",
        "sha256_hash",
    }


def test_validate_wrong_type_is_invalid() -> None:
    result = validate("--type", "cue_generation", DISCOVERED)
    assert result.exit_code == 1
    assert result.stdout == "invalid cue_generation\n"
    lines = result.stderr.splitlines()
    assert len(lines) > 1
    assert "message_id: Field required" in lines


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b'{"message_type": "cue_generation", ', "Invalid JSON"),
        (b"\xef\xbb\xbf" + CUE.read_bytes(), "byte order mark"),
        (b'{"message_type": "cue_generation\xff"}', "not valid UTF-8"),
        ("{}".encode("utf-16"), "UTF-16"),
        (b"  \n", "empty"),
    ],
)
@pytest.mark.parametrize("type_option", ["auto", "cue_generation"])
def test_validate_undecodable_input_is_one_error(
    data: bytes, fragment: str, type_option: str
) -> None:
    result = validate("--type", type_option, "-", stdin=data)
    assert result.exit_code == 1, result.output
    (line,) = result.stderr.splitlines()
    kind = "message" if type_option == "auto" else "cue_generation"
    assert result.stdout == f"invalid {kind}\n"
    assert line.startswith("(message): ")
    assert fragment in line
    assert "Traceback" not in result.output


def test_validate_json_that_is_not_an_object() -> None:
    result = validate("--type", "auto", "-", stdin=b"[1, 2]")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == ["(message): a message must be a JSON object, not list"]


def test_validate_routing_key_contradicting_the_message() -> None:
    data = INVALID.read_bytes()
    event = json.loads(data)
    event.update(
        correlation_id="72eb81c4-f65e-4ce4-9f9c-0ffb64ba62b3",
        timestamp="2025-03-14T21:02:17Z",
        sha256_hash="002ef40004646e7933ed17842dd5677cbb28871e91ec00962075943dd0c3d8e9",
    )
    fixed = json.dumps(event).encode()
    assert validate("-t", "auto", "-k", "file.modified", "-", stdin=fixed).exit_code == 0

    result = validate("-t", "auto", "-k", "file.created", "-", stdin=fixed)
    assert result.exit_code == 1
    assert "'file.modified', not 'file.created'" in result.stderr


# -- validate: usage problems --------------------------------------------------------------


def test_validate_unknown_type_lists_known_types() -> None:
    result = validate("--type", "cue_generator", CUE)
    assert result.exit_code == 2
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert "'cue_generator'" in line
    assert all(spec.name in line for spec in MESSAGE_SPECS)


def test_validate_unknown_routing_key() -> None:
    result = validate("--type", "auto", "--routing-key", "cue.generation.double", CUE)
    assert result.exit_code == 2
    assert "'cue.generation.double'" in result.stderr


def test_validate_type_and_routing_key_disagree() -> None:
    result = validate("--type", "cue_generation", "--routing-key", "file.created", CUE)
    assert result.exit_code == 2
    assert "file_lifecycle" in result.stderr
    assert "cue_generation" in result.stderr


def test_validate_missing_file_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.json"
    result = validate("--type", "auto", missing)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert str(missing) in result.stderr
    assert "No such file" in result.stderr


def test_validate_directory_names_the_path() -> None:
    result = validate("--type", "auto", EXAMPLES)
    assert result.exit_code == 2
    assert str(EXAMPLES) in result.stderr


def test_validate_requires_a_type() -> None:
    result = validate(CUE)
    assert result.exit_code == 2
    assert "--type" in result.stderr


# -- asyncapi and schema ---------------------------------------------------------------------


def test_asyncapi_yaml() -> None:
    result = run("contracts", "asyncapi")
    assert result.exit_code == 0, result.output
    document = yaml.safe_load(result.stdout)
    assert document["asyncapi"] == "3.0.0"
    assert next(iter(document)) == "asyncapi"  # insertion order kept (sort_keys=False)


def test_asyncapi_json_matches_yaml() -> None:
    as_json = run("contracts", "asyncapi", "--format", "json")
    as_yaml = run("contracts", "asyncapi", "--format", "yaml")
    assert as_json.exit_code == as_yaml.exit_code == 0
    assert json.loads(as_json.stdout) == yaml.safe_load(as_yaml.stdout)


def test_output_is_the_committed_reference() -> None:
    # `tracktion contracts asyncapi > docs/reference/asyncapi.yaml` writes the same bytes.
    reference = ROOT / "docs" / "reference"
    assert run("contracts", "asyncapi").stdout == (reference / "asyncapi.yaml").read_text()
    assert (
        run("contracts", "asyncapi", "-f", "json").stdout
        == (reference / "asyncapi.json").read_text()
    )
    assert (
        run("contracts", "schema", "file.created").stdout
        == (reference / "schemas" / "file_lifecycle.json").read_text()
    )


def test_asyncapi_unknown_format() -> None:
    result = run("contracts", "asyncapi", "--format", "xml")
    assert result.exit_code == 2


@pytest.mark.parametrize("name", ["cue_generation", "CueGenerationRequest"])
def test_schema(name: str) -> None:
    result = run("contracts", "schema", name)
    assert result.exit_code == 0, result.output
    schema = json.loads(result.stdout)
    assert "tracklist_id" in schema["properties"]
    assert result.stdout.startswith('{\n  "')  # indent 2


def test_schema_unknown_type_lists_known_types() -> None:
    result = run("contracts", "schema", "nope")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert all(spec.name in result.stderr for spec in MESSAGE_SPECS)


def test_examples_are_what_they_claim() -> None:
    CueGenerationRequest.parse(CUE.read_bytes())
    assert len(field_errors(FileLifecycleEvent, INVALID.read_bytes())) == 3


# -- the installed console script -----------------------------------------------------------


def test_console_script() -> None:
    script = Path(sys.executable).parent / "tracktion"
    command = [str(script), "contracts", "validate", "--type", "auto"]

    valid = subprocess.run(
        [*command, "examples/messages/cue_generation.json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (valid.returncode, valid.stdout, valid.stderr) == (0, "valid cue_generation\n", "")

    invalid = subprocess.run(
        [*command, "examples/messages/invalid_file_event.json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert invalid.returncode == 1
    assert invalid.stdout == "invalid file_lifecycle\n"
    lines = invalid.stderr.splitlines()
    assert lines == field_errors(FileLifecycleEvent, INVALID.read_bytes())
    assert len(lines) == 3
