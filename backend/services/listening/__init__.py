"""Listening: the mentions themselves (issue 18). See backend/models/listening.py."""
