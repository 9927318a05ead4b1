"""The faces: the command line and the GitHub Action; argv and `INPUT_*` become the verb's call:
its own request over the shared `Remote`."""
