"""What a GHES instance does, as the bed plays it: its rules, apart from the bed's machinery.

Here belongs each answer the instance gives: who a token is and what it may do (`tokens`), the
Docker registry's rules and quirks (`docker_registry`), the Container registry's token service
(`container_registry`), the REST API (`rest_api`, with `package_listing`, `docker_packages`,
`container_packages` and `repo_details`), what GitHub keeps about a package beside its images
(`package_settings`), and the shapes and words of its answers (`wire`). Each rule names the
GitHub page it comes from (GHES 3.14), or says that it comes from what clients report.
How the bed runs (processes, nginx, pki, engines, the fault and hostile doubles) is the rest of
the `testbed` package.
"""
