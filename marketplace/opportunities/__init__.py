"""Ranked opportunities for providers."""
