"""Development tools: not part of the job, not in the wheel."""
