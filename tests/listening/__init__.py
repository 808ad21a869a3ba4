"""Listening (issue 18): mentions, topics, the roll-up, retention."""
