"""Where session documents come from: MongoDB, a mongoexport file, or the simulator."""
