"""Pure planning: (desired, live) -> a plan of changes and the writes that make them; no I/O.

Nothing here prints, reads a file or opens a connection, and nothing here imports remote/ or
live/: live/ reads live state through remote/, hands it to planning, and writes back.
"""
