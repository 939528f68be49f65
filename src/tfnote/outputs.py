"""Check where a command will write before it does any work: one line instead of a traceback.

A command that trains for minutes and then cannot save (its `--out` names a file, a
read-only folder, /proc) wastes the minutes and leaves a half-made result. These checks run
while the arguments are read, before TensorFlow loads, and create nothing: a folder is
probed by creating and removing a temporary file in the nearest folder that exists.

    out = check_writable_dir(args.out)                   # a folder to write files into
    png = check_output_file(args.out, ".png")            # one file to write
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from tfnote.errors import TfnoteError


def _probe(folder: Path, shown: Path) -> None:
    """Raise TfnoteError unless a file can be created in the existing folder `folder`."""
    try:
        fd, name = tempfile.mkstemp(dir=folder, prefix=".tfnote-probe-")
        os.close(fd)
        os.unlink(name)
    except OSError as e:
        reason = e.strerror or str(e)
        if e.errno == errno.ENOENT:  # /proc and the like: the folder exists but takes no files
            reason = "this file system does not take new files"
        raise TfnoteError(f"cannot write to {shown}: {reason}") from None


def check_writable_dir(path: str | os.PathLike) -> Path:
    """`path` as a Path, if it is a folder (or can become one) that files can be written into.

    Refused with one line: an existing file, a path below a file, a folder without write
    permission or on a read-only file system, pseudo file systems such as /proc.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise TfnoteError(f"cannot write to {path}: it is a file, not a folder")
    existing = path
    while not existing.is_dir():
        if existing.exists() or existing.is_symlink():  # a file (or broken link) on the way
            raise TfnoteError(f"cannot write to {path}: {existing} is not a folder")
        if existing.parent == existing:
            break
        existing = existing.parent
    if not existing.is_dir():  # a relative path whose first part is missing: the cwd holds it
        existing = Path.cwd()
    _probe(existing, path)
    return path


def check_output_file(
    path: str | os.PathLike, suffix: str | None = None, protected: Iterable[Path] = ()
) -> Path:
    """`path` as a Path, if a file of this kind can be written there.

    `suffix` (".png") is the ending the file must have, so that a slip such as
    `--out RUN/spec.json` cannot overwrite a file of another kind; `protected` are files that
    must not be overwritten (a run's own files).
    """
    path = Path(path)
    if suffix and path.suffix.lower() != suffix.lower():
        raise TfnoteError(f"cannot write to {path}: the file name must end in {suffix}")
    if path.is_dir():
        raise TfnoteError(f"cannot write to {path}: it is a folder; name a {suffix or ''} file")
    resolved = path.resolve()
    for other in protected:
        if resolved == Path(other).resolve():
            raise TfnoteError(f"cannot write to {path}: it is one of the run's own files")
    check_writable_dir(path.parent)
    if path.exists() and not os.access(path, os.W_OK):
        raise TfnoteError(f"cannot write to {path}: permission denied")
    return path
