"""The small interfaces between layers."""
