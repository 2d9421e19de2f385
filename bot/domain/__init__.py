"""What Tend knows and decides, with no Discord in it: the validated config, cases and their
lifecycle, follow-ups, who may act and who may be named, privacy, reflections, stats, the
prompt library, and the services bundle the composition root builds from them.

Importing anything here never imports discord (tests/test_layers.py checks it).
"""
