"""`ghpkg migrate`: the plan, the state file that resumes it, the copy and the report."""
