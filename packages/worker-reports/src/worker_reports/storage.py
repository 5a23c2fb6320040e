"""Where report files live: :class:`ReportStorage`, one directory, one file per report.

The worker's directory is ``REPORTS_DIR`` (default ``.data/reports``), read once when its
activities are wired (:meth:`ReportStorage.from_environment`). The finished report is
``<REPORTS_DIR>/<report_id>.<csv|json>`` (the API serves it from the same directory). While a
report is being built its chunks are JSON-lines part files under
``<REPORTS_DIR>/.parts/<report_id>/``: ``<index>.jsonl.partial`` while a chunk is written,
renamed to ``<index>.jsonl`` when complete. Every final name appears by an atomic rename, so a
reader never sees half a file.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_REPORTS_DIR",
    "REPORTS_DIR_ENV",
    "InvalidReportIdError",
    "ReportStorage",
    "append_rows",
    "keep_first_lines",
]

REPORTS_DIR_ENV = "REPORTS_DIR"
DEFAULT_REPORTS_DIR = Path(".data/reports")


class InvalidReportIdError(ValueError):
    """A report id that cannot be a file name (it is the workflow id)."""


def _checked(report_id: str) -> str:
    if not report_id or report_id.startswith(".") or "/" in report_id or "\\" in report_id:
        raise InvalidReportIdError(
            f"report id {report_id!r} cannot name a file: no slashes and no leading dot"
        )
    return report_id


def keep_first_lines(path: Path, count: int) -> int:
    """Cut ``path`` down to its first ``count`` lines (creating it empty); return lines kept.

    A crash can leave rows after the last heartbeat or half a line at the end; the heartbeat says
    which rows are known good, so everything after them is written again.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    kept: list[bytes] = []
    if path.exists() and count > 0:
        with path.open("rb") as existing:
            for line in existing:
                if len(kept) == count or not line.endswith(b"\n"):
                    break
                kept.append(line)
    with path.open("wb") as truncated:
        truncated.writelines(kept)
    return len(kept)


def append_rows(path: Path, rows: list[dict[str, Any]]) -> None:
    """Append ``rows`` as JSON lines and flush them to the OS before returning."""
    with path.open("a", encoding="utf-8") as part:
        part.writelines(json.dumps(row, separators=(",", ":")) + "\n" for row in rows)
        part.flush()
        os.fsync(part.fileno())


class ReportStorage:
    """The report files under ``root``: finished reports and the part files of running ones."""

    def __init__(self, root: Path | str) -> None:
        """Keep reports under ``root`` (created when the first part file is written)."""
        self.root = Path(root)

    @classmethod
    def from_environment(cls) -> ReportStorage:
        """The storage at ``REPORTS_DIR`` (default ``.data/reports``), for the wiring code."""
        return cls(os.environ.get(REPORTS_DIR_ENV) or DEFAULT_REPORTS_DIR)

    def report_path(self, report_id: str, fmt: str) -> Path:
        """The finished report's path."""
        return self.root / f"{_checked(report_id)}.{fmt}"

    def _parts_dir(self, report_id: str) -> Path:
        return self.root / ".parts" / _checked(report_id)

    def chunk_path(self, report_id: str, index: int, *, partial: bool = False) -> Path:
        """The part file of chunk ``index`` (``partial``: the one still being written)."""
        suffix = ".jsonl.partial" if partial else ".jsonl"
        return self._parts_dir(report_id) / f"{index:06d}{suffix}"

    def _chunk_rows(self, report_id: str, chunks: int) -> Iterator[dict[str, Any]]:
        for index in range(chunks):
            with self.chunk_path(report_id, index).open(encoding="utf-8") as part:
                for line in part:
                    yield json.loads(line)

    def write_report(self, report_id: str, fmt: str, chunks: int) -> Path:
        """Join the ``chunks`` part files into the final report and remove the parts.

        Idempotent: when the report exists and its parts are gone, a repeat returns its path.
        """
        final = self.report_path(report_id, fmt)
        parts = self._parts_dir(report_id)
        if final.exists() and not parts.exists():
            return final
        missing = [
            index for index in range(chunks) if not self.chunk_path(report_id, index).exists()
        ]
        if missing:
            raise FileNotFoundError(f"report {report_id} is missing chunks {missing[:10]}")
        temporary = final.with_name(final.name + ".partial")
        with temporary.open("w", encoding="utf-8", newline="") as out:
            rows = self._chunk_rows(report_id, chunks)
            if fmt == "csv":
                first = next(rows)
                writer = csv.DictWriter(out, fieldnames=list(first))
                writer.writeheader()
                writer.writerow(first)
                writer.writerows(rows)
            else:
                out.write("[\n")
                for number, row in enumerate(rows):
                    out.write((",\n" if number else "") + json.dumps(row))
                out.write("\n]\n")
            out.flush()
            os.fsync(out.fileno())
        temporary.replace(final)
        shutil.rmtree(parts, ignore_errors=True)
        return final

    def discard_parts(self, report_id: str, finished_format: str | None = None) -> int:
        """Delete a cancelled report's part files; returns how many files were deleted.

        With ``finished_format`` the finished report in that format and its temporary go too (the
        report was cancelled while or after it was assembled). Without it a finished file is left
        alone: it may belong to an earlier run that used the same report id.
        """
        parts = self._parts_dir(report_id)
        count = sum(1 for path in parts.iterdir() if path.is_file()) if parts.is_dir() else 0
        shutil.rmtree(parts, ignore_errors=True)
        if finished_format is not None:
            final = self.report_path(report_id, finished_format)
            for path in (final, final.with_name(final.name + ".partial")):
                if path.exists():
                    path.unlink(missing_ok=True)
                    count += 1
        return count
