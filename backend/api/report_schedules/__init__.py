"""Report schedules of a company (backend/services/report_schedules.py)."""
