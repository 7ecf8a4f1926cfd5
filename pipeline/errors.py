"""One exception hierarchy for the whole project, each carrying its exit code.

The core raises; the CLI layer (``cli.py``) is the only place that turns an
exception into a message and a process exit code. The codes are documented in
``docs/exit-codes.md``.

An error meant for a person may carry a message ``code`` (``"auth.locked"``) and its
parameters; the edges translate it (``web/i18n.py`` in Traditional Chinese or English)
and fall back to the English text of the exception when they do not know the code.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes of the ``records`` command."""

    ok = 0
    #: the batch ran to its end but one or more input files were quarantined
    completed_with_quarantine = 3
    #: bad command-line usage (Typer/Click's own code)
    usage = 2
    #: unexpected internal error (a bug)
    internal = 1
    #: an input path or file could not be read at all
    input_error = 4
    #: configuration or retention-rule file is invalid
    invalid_config = 5
    #: the store, database or index is unreachable or inconsistent
    storage_error = 6
    #: a lifecycle rule forbids the requested action (illegal transition, hold)
    not_permitted = 7
    #: authentication missing or failed, or the role lacks the permission
    access_denied = 8
    #: the requested record does not exist (or is not visible to the user)
    not_found = 9
    #: an integrity check (audit chain, fixity, index drift) failed
    integrity_failure = 10
    #: an external program (tesseract, pdftoppm) failed or timed out
    external_program = 11


class RecordsError(Exception):
    """Base of every error the project raises on purpose."""

    exit_code: ExitCode = ExitCode.internal

    def __init__(self, message: str = "", *, code: str | None = None, **params: object) -> None:
        super().__init__(message)
        #: a message key the edges translate; ``params`` fill its placeholders
        self.code = code
        self.params = params


class InputFileError(RecordsError):
    """An input file cannot be processed; the file is quarantined with ``reason``."""

    exit_code = ExitCode.input_error

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnsupportedFileType(InputFileError):
    """The file's content is not a PDF, TIFF, PNG or JPEG."""


class CorruptFile(InputFileError):
    """The file claims a supported type but cannot be decoded."""


class EncryptedFile(InputFileError):
    """The PDF is password-protected."""


class ImageTooLarge(InputFileError):
    """The image exceeds the configured pixel limit (decompression bomb guard)."""


class ConfigError(RecordsError):
    """Settings, manifest or rules are invalid."""

    exit_code = ExitCode.invalid_config


class RulesError(ConfigError):
    """A retention-rules file is invalid; carries file, line and field."""

    def __init__(self, path: str, line: int | None, field: str, message: str) -> None:
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {field}: {message}")
        self.path, self.line, self.field, self.message = path, line, field, message


class StorageError(RecordsError):
    """The database, file store or search index failed."""

    exit_code = ExitCode.storage_error


class ExternalProgramError(RecordsError):
    """An external program failed."""

    exit_code = ExitCode.external_program


class ExternalProgramTimeout(ExternalProgramError):
    """An external program was stopped after its timeout."""


class ExternalProgramMissing(ExternalProgramError):
    """An external program is not installed (or not on PATH)."""


class NotPermitted(RecordsError):
    """The lifecycle forbids the action (illegal transition, hold, missing approval)."""

    exit_code = ExitCode.not_permitted


class IllegalTransition(NotPermitted):
    """A state change outside the lifecycle state machine."""


class AccessDenied(RecordsError):
    """Not logged in, bad credentials, or the role lacks the permission."""

    exit_code = ExitCode.access_denied


class NotFound(RecordsError):
    """No such record (or not visible to the current user)."""

    exit_code = ExitCode.not_found


class IntegrityFailure(RecordsError):
    """A verification found tampering, corruption or drift."""

    exit_code = ExitCode.integrity_failure
