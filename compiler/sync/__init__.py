"""Planning and applying: (desired, live) -> a plan; a plan -> writes through a target.

Nothing here prints, and planning (desired, marker, plan, state) never imports remote/:
`run.py` is the one module that reads live state through remote/ and hands it to planning.
"""
