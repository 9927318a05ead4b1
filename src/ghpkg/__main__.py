"""`python -m ghpkg` runs the command line."""

import sys

from ghpkg.cli import main

sys.exit(main())
