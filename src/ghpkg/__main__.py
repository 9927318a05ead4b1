"""`python -m ghpkg` runs the command line."""

import sys

from ghpkg.faces.cli import main

sys.exit(main())
