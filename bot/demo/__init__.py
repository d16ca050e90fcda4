"""`campaignbot demo`: the real bot in a terminal chat — no token, no network.

``main`` starts the bot against the embedded Bot API stand-in; ``chat`` is the
terminal client; ``render`` turns messages into terminal text; ``console`` reads
and prints; ``sample`` loads the sample team.
"""
