"""Small helpers shared by the layers: time values, secrets masking, logging, files."""
