"""`python -m poselift.core.cli`: the `poselift` command line."""

import sys

from .main import main

sys.exit(main())
