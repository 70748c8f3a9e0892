"""Write the demo library (synthetic DJ loops with known tempo and key) into a folder.

    python examples/demo_library.py OUT_DIR

The same library ``tracktion up`` writes when it is given no folder; ``tracktion analyze
OUT_DIR`` then finds what each loop's tags say. Existing files are never overwritten.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tracktion.services.demo import write_demo_library

if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    for path in write_demo_library(Path(sys.argv[1])):
        print(path)
