"""``python -m geometry.sweep SPEC -o DIR [--workers N] [--scheduler ADDRESS] [--limit N]``."""

import sys

from . import main

sys.exit(main())
