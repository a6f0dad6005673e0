class StackError(RuntimeError):
    """A problem the user can act on; the CLI prints the message alone, never a traceback."""
