"""Stage 6: diff, explain, matrix, and the change model that plan shares."""
