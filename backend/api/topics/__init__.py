"""Topics of a company and their keyword rules (backend/services/listening/topics.py)."""
