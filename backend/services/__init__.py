"""Service layer: the rules and the transactions, shared by the API, the CLI and the dashboard."""
