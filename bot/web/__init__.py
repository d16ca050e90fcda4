"""The bot's web side: one ASGI app (webhook, health, metrics, Mini App)."""
