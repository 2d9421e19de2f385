"""Tend: a Discord bot that turns moderators' empathy into compassionate action."""

__version__ = "0.1.0"
