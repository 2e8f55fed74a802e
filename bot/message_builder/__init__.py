"""Block Kit builders, apart from the handlers. Every message carries fallback text."""
