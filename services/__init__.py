"""The service layer: extraction, CSV writing, manifest and publishing."""
