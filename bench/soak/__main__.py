"""Entry point of ``make soak`` / ``python -m bench.soak``."""
import sys

from .run import main

sys.exit(main())
