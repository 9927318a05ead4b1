#!/usr/bin/env python3
"""Entry point of the ghpkg action (composite and Docker): runs ghpkg.faces.action.main."""

import sys

from ghpkg.faces.action import main
from ghpkg.faces.cli import as_process

if __name__ == "__main__":
    sys.exit(as_process(main))
