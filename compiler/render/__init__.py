"""Stage 5: a valid project -> file texts -> written atomically or compared."""
