"""Jinja templates of the rendered outputs."""
