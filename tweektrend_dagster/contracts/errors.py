"""The error every layer raises when a server or tool it needs is missing or unreachable."""


class ServiceUnavailable(RuntimeError):
    """A problem the user can act on: the message names the server (or tool) and says how to
    start it. The CLI prints the message alone, never a traceback; the dashboard shows a
    generic notice and logs it."""
