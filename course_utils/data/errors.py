"""What can go wrong when getting data, each with a message that says what to do.

The command line turns each kind into its own exit code (see ``course_utils.data.cli``).
"""

from __future__ import annotations


class DataError(Exception):
    """Base class: a data set could not be provided. The message says what to do.

    ``summary`` is the short form (one or a few lines) for messages that add their own advice.
    """

    def __init__(self, message: str, *, summary: str | None = None) -> None:
        super().__init__(message)
        self.summary = summary if summary is not None else message.splitlines()[0]


class UnknownDatasetError(DataError, KeyError):
    """A name that is not in the registry."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])


class DownloadError(DataError):
    """No source could deliver the file: no network, a dead link, a server that is gone or stalled.

    Loaders called with ``offline=None`` fall back to their stand-in on this error (and say so).
    """


class IntegrityError(DataError):
    """A file arrived but its SHA256 did not match the registry after every attempt: never used."""


class DiskSpaceError(DataError):
    """Not enough free space in the cache folder for a download."""
