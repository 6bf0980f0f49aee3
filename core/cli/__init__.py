"""The `poselift` command line (`main`), its commands and progress reports; `python -m poselift.core.cli`."""
