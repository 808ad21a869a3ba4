"""Authentication: sessions for people, API keys for third parties."""
from . import account, alert_emails  # noqa: F401,E402  (routes on the same blueprint)
from .principal import PUBLIC_ENDPOINTS, init_principal, is_public_endpoint  # noqa: F401
from .views import bp  # noqa: F401
