"""The instance's REST API: the token check, package versions and listings, the repository."""
