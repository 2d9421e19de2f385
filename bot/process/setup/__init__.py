"""``tend setup``: the config built from the live server (see command.py)."""

from bot.process.setup.command import add_setup_parser

__all__ = ["add_setup_parser"]
