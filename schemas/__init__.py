"""The JSON Schemas of environments/ files, shipped inside the package as compiler.schemas."""
