"""A test stand-in for the awsglue package Glue puts on the path."""
