"""Figures: one style, one function per figure, the figure registry."""
