"""Exact inference over the network a spec describes.

``tables`` computes the conditional tables, ``enumeration`` and ``quickscore`` are the
engines, ``engines`` the one place that picks one, and ``pgmpy_adapter`` the only module
that talks to pgmpy.
"""
