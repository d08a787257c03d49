"""Every error BlendHunter reports to a person: one class per kind, one common base.

A BlendHunterError's message names the problem and the fix, so the script runner
(`logs.run`) and the command line (`cli.main`) print it in one line, without a
traceback. Anything else is a bug and keeps its traceback.
"""


class BlendHunterError(Exception):
    """A problem the user can fix; the message says what and how."""


class ConfigError(BlendHunterError, ValueError):
    """A configuration value is missing, unknown or out of range."""


class InputError(BlendHunterError, ValueError):
    """The user's input cannot be classified; the message says why and what to do."""


class ResourceError(BlendHunterError, RuntimeError):
    """An external input is missing or not what the workflow needs."""


class CatalogueError(BlendHunterError, RuntimeError):
    """A COSMOS catalogue cannot be read or lacks what a set needs."""


class EngineError(BlendHunterError, RuntimeError):
    """An engine cannot run as asked; the message says what to do."""


class DamagedFileError(BlendHunterError, RuntimeError):
    """A workflow file exists but cannot be read: cut short, overwritten or corrupt."""


class FileAccessError(BlendHunterError, RuntimeError):
    """A file cannot be read or written for a reason other than its content: a full
    disk, missing permissions, an I/O error of the device."""
