"""The one exception a loader raises for a file that is rejected whole."""

from __future__ import annotations


class FileRejected(ValueError):
    """A file whose structure breaks the contract. The message is the manifest's `reason`:
    it names the problem (and line or element number when known), never a value from a row."""
