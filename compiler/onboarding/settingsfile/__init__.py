"""An Astro CLI airflow_settings.yaml, read the way the CLI reads it (settings.py), one module per kind."""
