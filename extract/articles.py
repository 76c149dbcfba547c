"""Reading articles: decoding, size and content checks, metadata sidecars.

An article is one text file; its id is the file name without extension. Metadata comes
from a sidecar `<id>.meta.json` beside it (see docs/seeds.md), else from the text.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pydantic import ValidationError

from extract.errors import ArticleError
from schemas import ArticleMeta

DEFAULT_MAX_BYTES = 2_000_000
SIDECAR_SUFFIX = ".meta.json"
_DATE_LINE = re.compile(
    r"(?:发表时间|发布时间|published|publication date|date)\s*[:：]\s*(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})",
    re.IGNORECASE,
)


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

    @property
    def label(self) -> str:
        return str(self.path) if self.path else f"<stdin:{self.id}>"


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def decode(data: bytes, encoding: str | None = None) -> str:
    """Text of an article's bytes; refuses binary and undecodable input with the fix.

    UTF-8 (with or without BOM) is tried first; `encoding` is the fallback for files that
    are not UTF-8, so one run can mix UTF-8 articles with, say, GBK ones.
    """
    if not data.strip():
        raise ArticleError("empty: the file holds no text")
    if encoding is None and b"\x00" in data[:65536]:
        raise ArticleError("binary: the file holds NUL bytes; give a plain text file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        if encoding:
            try:
                text = data.decode(encoding)
            except (UnicodeDecodeError, LookupError) as e2:
                raise ArticleError(f"cannot decode as {encoding} (nor as UTF-8): {e2}") from e2
        else:
            hint = " (it looks like GBK/GB18030)" if _looks_gbk(data) else ""
            raise ArticleError(
                f"not UTF-8{hint}: invalid byte at offset {e.start}; convert it "
                "(iconv -f GBK -t UTF-8) or pass --encoding with its encoding"
            ) from e
    if not text.strip():  # e.g. a lone byte-order mark
        raise ArticleError("empty: the file holds no text")
    sample = text[:65536]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r\f\v")
    if "\x00" in sample or controls > max(8, len(sample) // 100):
        raise ArticleError("binary: the text holds NUL or many control characters; give a plain text file")
    return text


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


def discover(paths: list[str]) -> Iterator[ArticleSource]:
    """Article sources for CLI arguments: folders (their text files, sorted), files, '-' for stdin."""
    for raw in paths:
        if raw == "-":
            yield ArticleSource(id="stdin", path=None, data=sys.stdin.buffer.read())
            continue
        path = Path(raw)
        if path.is_dir():
            # Every file but hidden ones and sidecars: a stray binary is reported, not skipped.
            for child in sorted(path.iterdir()):
                if child.is_file() and not child.name.startswith(".") and not child.name.endswith(SIDECAR_SUFFIX):
                    yield ArticleSource(id=child.stem, path=child)
        else:
            yield ArticleSource(id=path.stem, path=path)
