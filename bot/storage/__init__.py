"""Storage: sqlmodel tables, the engine and sessions, and the queries the services use."""
