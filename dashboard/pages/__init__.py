"""Dashboard pages: each module has a ``layout(...)`` function run per request; pages with
callbacks have ``register(dash_app)``."""
