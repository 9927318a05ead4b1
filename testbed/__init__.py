"""A GHES-like test bed: the GitHub Packages Docker registry and REST API, on this machine.

`testbed.ghes` holds what the instance does (its rules, each with the GitHub page it comes
from); the modules here are the machinery that runs it: the processes (`bed`, `procs`,
`front`, `nginx`, `backend_registry`), `pki`, `certs_d` and `etc_hosts`, the engines (the
`engines` package, `engine_tls`, `images`), the doubles around it (`faults` with `fault_relay`,
`hostile`, `outside`, over `tls_server`) and the pytest plugins.
"""

from testbed.bed import Testbed
from testbed.config import Switches
from testbed.procs import TestbedError

__all__ = ["Switches", "Testbed", "TestbedError"]
