"""``python -m tracktion.services.cli``: the ``tracktion`` command line."""

from tracktion.services.cli import main

main()
