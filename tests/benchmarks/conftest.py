"""Make the repository's ``benchmarks`` package importable from these tests.

``benchmarks/`` is not an installed distribution, and ``--import-mode=importlib`` does not
put the root directory on ``sys.path``; the root goes there for the tests of this folder
only (``pythonpath = ["."]`` in the pytest configuration would do it for all).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[2])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
