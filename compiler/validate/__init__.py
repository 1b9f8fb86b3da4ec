"""Stage 4: documents -> model + every located diagnostic (schema, rules, resolution problems)."""
