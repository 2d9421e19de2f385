"""The process: the composition root (services, the bot's run), the command line, the health
endpoint. The only layer that knows which extensions (cogs) are loaded."""
