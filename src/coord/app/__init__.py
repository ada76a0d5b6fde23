"""Use cases called by the CLI and the terminal UI; the only place adapters are wired."""
