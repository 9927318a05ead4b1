"""The faces: the command line and the GitHub Action; argv and `INPUT_*` become one `Settings`."""
