"""Turning session documents into feature rows: normalisation, then vectorised calculators."""
