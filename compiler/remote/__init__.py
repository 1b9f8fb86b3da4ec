"""Clients of remote services (the Astro API, Airflow REST); the only package importing httpx."""
