"""Alert rules of a company (backend/services/alert_rules.py)."""
