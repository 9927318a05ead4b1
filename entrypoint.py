#!/usr/bin/env python3
"""Entry point of the ghpkg action (composite and Docker): runs ghpkg.faces.action.main."""

import sys

from ghpkg.faces.action import main

if __name__ == "__main__":
    sys.exit(main())
