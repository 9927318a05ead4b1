"""Shared pytest setup: the test bed (registry, REST API) and the Docker engine matrix."""

pytest_plugins = ["testbed.pytest_bed", "testbed.pytest_engines"]
