"""The public API of tracktion.core.cue: a complete ``__all__`` and errors under the root."""

from __future__ import annotations

import inspect

from tracktion.contracts import TracktionError
from tracktion.core import cue


def test_all_lists_every_public_name() -> None:
    public = {
        name
        for name, value in vars(cue).items()
        if not name.startswith("_") and not inspect.ismodule(value)
    }
    assert public == set(cue.__all__)


def test_every_error_derives_from_the_root() -> None:
    errors = [
        value
        for value in vars(cue).values()
        if inspect.isclass(value) and issubclass(value, BaseException)
    ]
    assert len(errors) == 8
    assert all(issubclass(error, TracktionError) for error in errors)
    assert issubclass(cue.CueParseError, ValueError)


def test_core_does_not_import_audio_to_use_cue() -> None:
    import subprocess
    import sys

    code = (
        "import sys, tracktion.core.cue as c; "
        "c.validate_cue(b'FILE \"a.wav\" WAVE\\nTRACK 01 AUDIO\\nINDEX 01 00:00:00\\n'); "
        "print('tracktion.audio' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
