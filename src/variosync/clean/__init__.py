"""Cleaning: typed operations, recipes of them, and their per-step reports."""
