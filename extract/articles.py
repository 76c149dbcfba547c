"""Reading articles: finding them, decoding, size and content checks, metadata sidecars.

An article is one text file; its id is the file name without extension (standard input:
`stdin-` and a hash of its bytes, or the id given). Metadata comes from a sidecar
`<id>.meta.json` beside it (see docs/seeds.md), else from the text.
"""

from __future__ import annotations

import codecs
import errno
import hashlib
import io
import json
import logging
import os
import re
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pydantic import ValidationError

from extract.errors import ArticleError, FactsheetError
from schemas import ArticleMeta

log = logging.getLogger("factsheet")

DEFAULT_MAX_BYTES = 2_000_000
SIDECAR_SUFFIX = ".meta.json"
STDIN_ID_PREFIX = "stdin-"
# Byte-order marks: the file says its encoding, so decoding it is not guessing. UTF-32 first,
# because the UTF-32-LE mark begins with the UTF-16-LE one.
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_HTML_START = re.compile(r"<(?:!doctype\s+html|html|head|body|meta|title|div|p|article|section|table|span)[\s>/]",
                         re.IGNORECASE)
_HTML_TAG = re.compile(r"<(?:!doctype\s+html|html|head|body)[\s>]", re.IGNORECASE)
_DATE_LINE = re.compile(
    r"(?:发表时间|发布时间|published|publication date|date)\s*[:：]\s*(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})",
    re.IGNORECASE,
)

_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f]")  # control characters but tab, newlines, form feed, vertical tab


@dataclass(frozen=True)
class Article:
    """An article's text and metadata; `path` is None for standard input."""

    meta: ArticleMeta
    text: str
    path: Path | None = None

    @property
    def id(self) -> str:
        return self.meta.id


@dataclass(frozen=True)
class ArticleSource:
    """Where an article's bytes come from, before they are read and checked."""

    id: str
    path: Path | None
    data: bytes | None = None  # standard input is read up front
    error: str | None = None  # why it cannot be read, found while listing (a link loop, an unreadable folder)

    @property
    def label(self) -> str:
        return str(self.path) if self.path else f"<stdin:{self.id}>"


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def decode(data: bytes, encoding: str | None = None) -> str:
    """Text of an article's bytes; refuses binary, undecodable and non-text documents with the fix.

    A byte-order mark decides the encoding (UTF-8, UTF-16 or UTF-32). Otherwise UTF-8 is
    tried first; `encoding` is the fallback for files that are not UTF-8, so one run can mix
    UTF-8 articles with, say, GBK ones. A NUL anywhere in the text refuses the file.
    """
    if not data.strip():
        raise ArticleError("empty: the file holds no text")
    document = _document_kind(data)
    if document:
        raise ArticleError(document)
    bom = next((name for mark, name in _BOMS if data.startswith(mark)), None)
    if bom:
        try:
            text = data.decode(bom)
        except UnicodeDecodeError as e:
            raise ArticleError(f"not valid {bom.upper()} although it starts with a {bom.upper()} byte-order mark: "
                               f"invalid data at offset {e.start}; re-save it as UTF-8") from e
    else:
        if encoding is None and b"\x00" in data:
            raise ArticleError("binary: the file holds NUL bytes" + _utf16_hint(data) + "; give a plain text file")
        text = _decode_plain(data, encoding)
    if not text.strip():  # e.g. a lone byte-order mark
        raise ArticleError("empty: the file holds no text")
    if "\x00" in text:
        raise ArticleError("binary: the text holds NUL characters; give a plain text file")
    sample = text[:65536]
    controls = len(_CONTROLS.findall(sample))  # a regex: a Python loop per character cost 1 ms an article
    if controls > max(8, len(sample) // 100):
        raise ArticleError("binary: the text holds many control characters; give a plain text file")
    if _looks_html(text):
        raise ArticleError("HTML, not plain text: the tags would be read as the article's words; extract its text "
                           "first (e.g. pandoc -f html -t plain FILE.html -o FILE.txt, or another HTML-to-text step)")
    return text


def _decode_plain(data: bytes, encoding: str | None) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        if encoding:
            try:
                return data.decode(encoding)
            except (UnicodeDecodeError, LookupError) as e2:
                raise ArticleError(f"cannot decode as {encoding} (nor as UTF-8): {e2}") from e2
        hint = " (it looks like GBK/GB18030)" if _looks_gbk(data) else ""
        raise ArticleError(
            f"not UTF-8{hint}: invalid byte at offset {e.start}; convert it "
            "(iconv -f GBK -t UTF-8) or pass --encoding with its encoding"
        ) from e


def _document_kind(data: bytes) -> str | None:
    """What a document that is not plain text is, with how to convert it; None for anything else."""
    if data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"%PDF-"):
        return ("a PDF document, not plain text: convert it first "
                "(pdftotext -layout FILE.pdf FILE.txt, from poppler-utils) and give the .txt")
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, OSError, ValueError):
            names = []
        if any(name.startswith("word/") for name in names):
            return ("a Word document (.docx), not plain text: convert it first "
                    "(pandoc FILE.docx -t plain -o FILE.txt) and give the .txt")
        if "content.xml" in names:
            return ("an OpenDocument file (.odt), not plain text: convert it first "
                    "(pandoc FILE.odt -t plain -o FILE.txt) and give the .txt")
        return "a ZIP archive, not plain text: unpack it and give the text files inside"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return ("an old Microsoft Office document (.doc), not plain text: convert it first "
                "(e.g. libreoffice --headless --convert-to txt FILE.doc) and give the .txt")
    return None


def _looks_html(text: str) -> bool:
    """The text is a web page: it opens with an HTML tag (after white space, a comment or an XML declaration)."""
    head = text[:4096].lstrip("\ufeff \t\r\n")
    if _HTML_START.match(head):
        return True
    return head.startswith(("<!--", "<?xml")) and _HTML_TAG.search(head) is not None


def _utf16_hint(data: bytes) -> str:
    """A hint when the NUL bytes look like UTF-16 without a byte-order mark (every other byte)."""
    sample = data[:4096]
    if len(sample) >= 8:
        for parity, name in ((1, "utf-16-le"), (0, "utf-16-be")):
            if sample[parity::2].count(0) >= 0.6 * len(sample[parity::2]) > sample[1 - parity::2].count(0):
                return f" (it looks like UTF-16 without a byte-order mark: pass --encoding {name})"
    return ""


def _looks_gbk(data: bytes) -> bool:
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        return False
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def infer_published(text: str) -> date | None:
    """A publication date stated in the text ("发表时间:2020-01-21", "Published: ...")."""
    match = _DATE_LINE.search(text[:2000])
    if not match:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def read_sidecar(path: Path) -> dict[str, object]:
    sidecar = path.with_name(path.stem + SIDECAR_SUFFIX)
    if not sidecar.exists():
        return {}
    try:
        data = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ArticleError(f"metadata sidecar {sidecar.name} is not valid JSON: {e}") from e
    if not isinstance(data, dict):
        raise ArticleError(f"metadata sidecar {sidecar.name} must hold a JSON object")
    return data


def load(source: ArticleSource, *, max_bytes: int = DEFAULT_MAX_BYTES, encoding: str | None = None) -> Article:
    """Read and check one article; raises ArticleError with the reason and the fix."""
    if source.error is not None:
        raise ArticleError(source.error)
    if source.data is not None:
        data = source.data
    else:
        assert source.path is not None
        try:
            size = source.path.stat().st_size
            if size > max_bytes:
                raise ArticleError(f"too large: {size} bytes, over the limit of {max_bytes} (raise it with --max-bytes)")
            data = source.path.read_bytes()
        except OSError as e:
            raise ArticleError(f"cannot read: {e.strerror or e}") from e
    if len(data) > max_bytes:
        raise ArticleError(f"too large: {len(data)} bytes, over the limit of {max_bytes} (raise it with --max-bytes)")
    text = decode(data, encoding)
    side = read_sidecar(source.path) if source.path else {}
    published = side.get("published") or infer_published(text)
    try:
        meta = ArticleMeta(
            id=source.id,
            title=side.get("title"),
            source=side.get("source"),
            url=side.get("url"),
            published=published,
            sha256=sha256_text(text),
        )
    except ValidationError as e:
        err = e.errors()[0]
        field = ".".join(str(x) for x in err["loc"]) or "metadata"
        where = f"sidecar {source.path.stem}{SIDECAR_SUFFIX}" if side else "metadata"
        raise ArticleError(f"bad {where}: {field}: {err['msg']}") from e
    return Article(meta=meta, text=text, path=source.path)


class InputPathError(FactsheetError):
    """A path named as input does not exist: a usage error, raised before anything is written."""


def stdin_id(data: bytes) -> str:
    """The id of an article read from standard input: a hash of its bytes, so two differ."""
    return STDIN_ID_PREFIX + hashlib.sha256(data).hexdigest()[:16]


def check_article_id(value: str) -> str:
    """An id given by the user (--id): usable as a file name; raises InputPathError otherwise."""
    if not value or "/" in value or "\\" in value or value.startswith(".") or value.strip() != value:
        raise InputPathError(f"article id {value!r} must be a file name without folders, spaces at the ends "
                             "or a leading dot, e.g. --id report-2021")
    return value


def resolved(raw: str) -> str:
    """An input path made absolute for the record, also when it is a symbolic link loop."""
    try:
        return str(Path(raw).resolve())
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop (Python < 3.13)
        return os.path.abspath(raw)


def discover(paths: list[str], stdin_name: str | None = None) -> Iterator[ArticleSource]:
    """Article sources for CLI arguments: folders (their files, sorted), files, '-' for stdin.

    A path that does not exist raises InputPathError before anything is read. A symbolic
    link loop, a broken link or an unreadable folder, given or found in a folder, becomes a
    source whose `error` says so: it fails with that reason and the others go on.
    `stdin_name` is the id of the article read from standard input (default: `stdin_id`).
    """
    if stdin_name is not None and "-" not in paths:
        raise InputPathError("--id names the article read from standard input: give - among the PATHs")
    missing = [raw for raw in paths if raw != "-" and _missing(raw)]
    if missing:
        raise InputPathError(f"no such file or folder: {', '.join(missing)}; check the path"
                             + (" (the quoting of names with spaces)" if any(" " in m for m in missing) else ""))
    for raw in paths:
        if raw == "-":
            data = sys.stdin.buffer.read()
            yield ArticleSource(id=stdin_name or stdin_id(data), path=None, data=data)
            continue
        path = Path(raw)
        problem = _link_problem(path)
        if problem:
            yield ArticleSource(id=path.stem, path=path, error=problem)
        elif path.is_dir():
            yield from _folder(path)
        else:
            yield ArticleSource(id=path.stem, path=path)


def _missing(raw: str) -> bool:
    """Nothing at all is at this path (a broken link is something: it gets its own error)."""
    try:
        os.lstat(raw)
    except (FileNotFoundError, NotADirectoryError):
        return True
    except OSError:  # e.g. a loop or no permission on a parent folder: reported when it is read
        return False
    return False


def _link_problem(path: Path) -> str | None:
    """Why a path cannot be followed (a link loop, a broken link, an unreachable target), or None."""
    try:
        os.stat(path)
    except FileNotFoundError:
        try:
            target = os.readlink(path)
        except OSError:
            return "cannot read: no such file"
        return f"broken symbolic link: its target {target} does not exist; fix or remove the link"
    except OSError as e:
        if e.errno == errno.ELOOP:
            return "symbolic link loop: the link leads back to itself; point it at the article or remove it"
        return f"cannot read: {e.strerror or e}"
    return None


def _folder(path: Path) -> Iterator[ArticleSource]:
    """The articles of one folder: every file but hidden ones and sidecars (a stray binary is reported)."""
    try:
        with os.scandir(path) as entries:
            names = sorted(entry.name for entry in entries)
    except OSError as e:
        yield ArticleSource(id=path.name, path=path, error=f"cannot read folder: {e.strerror or e}")
        return
    for name in names:
        if name.startswith(".") or name.endswith(SIDECAR_SUFFIX):
            continue
        child = path / name
        problem = _link_problem(child)
        if problem:
            yield ArticleSource(id=child.stem, path=child, error=problem)
        elif child.is_file():
            yield ArticleSource(id=child.stem, path=child)
        elif child.is_dir():
            # Not searched: an output folder inside an input folder must never be read back as articles.
            log.warning("not searched: %s is a folder inside %s (give it as a PATH to read its articles)", child, path)
        else:
            yield ArticleSource(id=child.stem, path=child, error="not a regular file (a pipe, socket or device)")
