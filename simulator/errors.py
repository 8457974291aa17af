"""Errors a user can cause. The CLI turns them into one line on stderr and exit code 2."""


class UserError(Exception):
    """Bad input from the user (flag, profile, path): the message names the problem."""


class Terminated(BaseException):
    """SIGTERM, raised in the main thread so the clean-ups of Ctrl-C run (temp files are
    removed, worker processes stopped). Not a KeyboardInterrupt: Typer would turn that into
    exit code 130 silently."""
