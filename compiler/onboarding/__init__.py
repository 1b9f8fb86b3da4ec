"""Onboarding: `init` and `import`, and the readers only they need.

Apart from the pipeline: these commands bring a repository and an Astro project's settings file
*into* the format the pipeline reads. scaffold.py (`init`), starter_files.py (the templates `init`
and precommit.py write), precommit.py (our hook in a user's .pre-commit-config.yaml),
installspec.py (how the running astro-gitops was installed), importer.py (`import`),
objectsfile.py (imported objects as YAML, secrets taken out), settingsfile/ (an Astro CLI
airflow_settings.yaml), connuri.py (Airflow connection URIs and extra JSON).
"""
