"""``python -m tracktion.services.cli``: the ``tracktion`` command line."""

from tracktion.services.cli import main

# Guarded: worker processes (forkserver, spawn) import the main module again.
if __name__ == "__main__":
    main()
