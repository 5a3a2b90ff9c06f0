"""Job configuration: parameters, thresholds and constants, parsed once at the edge."""
