"""Stage 2: the typed, frozen vocabulary every later stage shares."""
