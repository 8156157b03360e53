"""Jinja2 templates of every report format (package data)."""
