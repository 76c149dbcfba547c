"""Writing a file as a sequence of units, copying the unchanged ones' bytes from the old file.

`splice_file(path, old, new, texts)`: `old` is the old file's units in order with their byte
lengths (None: no old file), `new` the new file's, `texts` the bytes of every unit that is new
or changed. Runs of units that are unchanged and adjacent in the old file are copied in one
`os.copy_file_range` (in the kernel: nothing is read into this process; a read and write where
the file system cannot), the new units written between them, into a temporary file that is
fsynced and renamed over `path` (extract.output.atomic_file): readers see the old file or the
new one, never half. Used by extract/corpus_state.py for the corpus files.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from extract.output import atomic_file


def splice_file(path: Path, old: list[tuple[str, int]] | None, new: list[tuple[str, int]],
               texts: dict[str, bytes | None]) -> None:
    offsets: dict[str, tuple[int, int]] = {}
    at = 0
    for unit, nbytes in old or ():
        offsets[unit] = (at, nbytes)
        at += nbytes
    with _OldFile(path if old is not None else None) as src, atomic_file(path, "wb") as out:
        dst = out.fileno()
        for start, length, text in _pieces(new, texts, offsets):
            if text is not None:
                _write_all(dst, text)
            else:
                _copy(src, dst, start, length)


def _pieces(new: list[tuple[str, int]], texts: dict[str, bytes | None], offsets: dict[str, tuple[int, int]]
            ) -> Iterator[tuple[int, int, bytes | None]]:
    """(start, length, None) ranges of the old file to copy, coalesced, and (0, 0, text) pieces to write."""
    run_start = run_end = -1
    written: list[bytes] = []
    for unit, nbytes in new:
        text = texts.get(unit)
        if text is not None:
            if run_end > run_start:
                yield run_start, run_end - run_start, None
                run_start = run_end = -1
            written.append(text)
            if len(written) >= 256:
                yield 0, 0, b"".join(written)
                written = []
            continue
        if written:
            yield 0, 0, b"".join(written)
            written = []
        start, length = offsets[unit]
        if length != nbytes:
            raise ValueError(f"unit {unit!r} changed length without a new text")
        if start == run_end:
            run_end += length
        else:
            if run_end > run_start:
                yield run_start, run_end - run_start, None
            run_start, run_end = start, start + length
    if written:
        yield 0, 0, b"".join(written)
    if run_end > run_start:
        yield run_start, run_end - run_start, None


class _OldFile:
    """The old file opened for reading, or nothing (a fresh write)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.fd = -1

    def __enter__(self) -> int:
        if self.path is not None:
            self.fd = os.open(self.path, os.O_RDONLY)
        return self.fd

    def __exit__(self, *exc: object) -> None:
        if self.fd >= 0:
            os.close(self.fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _copy(src: int, dst: int, start: int, length: int) -> None:
    """Copy `length` bytes at `start` of `src` to the end of `dst`, in the kernel where it can."""
    end = start + length
    while start < end:
        try:
            done = os.copy_file_range(src, dst, end - start, start)
        except OSError:  # not supported here (another file system, an old kernel): read and write
            data = os.pread(src, min(end - start, 1 << 22), start)
            if not data:
                raise
            _write_all(dst, data)
            done = len(data)
        if done == 0:
            raise OSError(f"the old corpus file ended early ({start} of {end} bytes)")
        start += done
