"""The composition root: the only place that builds clients and chooses implementations."""
