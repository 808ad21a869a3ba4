"""Entry point of ``make bench`` / ``python -m bench``."""
import sys

from .run import main

sys.exit(main())
