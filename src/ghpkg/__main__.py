"""`python -m ghpkg` runs the command line."""

import sys

from ghpkg.faces.cli import command

sys.exit(command())
