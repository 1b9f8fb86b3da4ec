"""Onboarding: `init` and `import`, and the readers only they need.

Apart from the pipeline (load -> validate -> resolve -> render): these commands bring a
repository and an Astro project's settings file *into* the format the pipeline reads.

- scaffold.py       `init`: environments/, a workflow and .gitignore lines
- precommit.py      adds our hook to a user's .pre-commit-config.yaml, as text
- installspec.py    how the running astro-gitops was installed (PEP 610), for the scaffold
- importer.py       `import`: an airflow_settings.yaml -> environments/ files
- objectsfile.py    the imported objects as YAML text, secrets taken out
- settingsfile/     an Astro CLI airflow_settings.yaml, read as the CLI reads it
- connuri.py        Airflow connection URIs and extra JSON, read as Airflow reads them
"""
