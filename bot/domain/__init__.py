"""Domain vocabulary and errors: no Telegram, no SQLAlchemy."""
