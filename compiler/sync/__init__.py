"""Planning and applying: (desired, live) -> a plan; a plan -> writes through a target.

Nothing here prints, and planning (desired, marker, plan, state) never imports remote/:
the runs (run.py for Astro, airflowrun.py for one Airflow, astropools.py, previewrun.py) read
live state through remote/, hand it to planning, and report to the command line's Console
(session.py); commands.py is the one call of plan and of apply.
"""
