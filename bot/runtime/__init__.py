"""Tend on Discord: the bot class, answering interactions, forms rebuilt from their custom_id,
command sync, the audience of a channel, delivering side effects, metrics and the config doctor.

The features (cogs/) build on this; it never imports a cog.
"""
