"""plan / apply / preview end to end: read through remote/, plan with sync/, write back."""
