"""Every way ghpkg builds an image: BuildKit (`docker buildx`), the legacy builder, their options.

The face reads the build inputs (`faces.build_inputs`); the modules here take them as values.
"""
