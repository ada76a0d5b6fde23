"""Reading and writing the log's interchange formats (JSON Lines)."""
