"""A GHES-like test bed: the GitHub Packages Docker registry and REST API, on this machine."""

from testbed.bed import Testbed
from testbed.config import Switches
from testbed.procs import TestbedError

__all__ = ["Switches", "Testbed", "TestbedError"]
