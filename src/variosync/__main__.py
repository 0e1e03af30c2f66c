"""``python -m variosync``."""

from variosync.cli.main import main

main()
