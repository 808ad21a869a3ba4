"""The demo agency of `make run` (``flask seed-demo``), apart from the product's own modules:
``content`` (the companies, in words and numbers), ``generator`` (pure: their metrics and goal
targets) and ``seed`` (writing it all through the services)."""
from .seed import DEMO_COMPANIES, DEMO_PASSWORD, DEMO_USERS, OWNER_EMAIL, seed_demo

__all__ = ["DEMO_COMPANIES", "DEMO_PASSWORD", "DEMO_USERS", "OWNER_EMAIL", "seed_demo"]
