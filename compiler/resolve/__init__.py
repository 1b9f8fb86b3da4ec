"""Stage 3: model + branch -> resolved Deployments with provenance; templates; the workspace view."""
