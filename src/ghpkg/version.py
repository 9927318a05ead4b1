"""ghpkg's version: `ghpkg --version` and the User-Agent of every request."""

__version__ = "0.1.0"  # pyproject.toml says the same
