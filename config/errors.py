"""The configuration error: one line naming the parameter and the accepted form."""


class ConfigError(Exception):
    """A bad or missing parameter. The job exits with status 2."""

    def __init__(self, parameter: str, accepted: str, problem: str):
        self.parameter = parameter
        self.accepted = accepted
        self.problem = problem
        super().__init__("{}: {}; expected {}".format(parameter, problem, accepted))

    def __reduce__(self):
        # Raised in a worker process, it crosses back to the parent by pickling.
        return (ConfigError, (self.parameter, self.accepted, self.problem))
