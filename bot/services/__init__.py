"""Domain services: ingestion, the Slack relay, replies, schedules, the owner."""
