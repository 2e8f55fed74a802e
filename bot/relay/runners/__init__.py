"""What each task kind does, grouped by the message it is about."""
