"""`python -m testbed.engines ...`, the same as `python -m testbed engines ...`."""

import sys

from testbed.engines.command import main

raise SystemExit(main(sys.argv[1:]))
