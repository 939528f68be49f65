"""The one exception type for user mistakes: the CLI prints it as one line and exits 2."""


class TfnoteError(Exception):
    """A problem the user can fix (bad file, unknown name, missing data); never a bug."""
