"""Social Inbox: Slack as the social inbox of a business."""
