"""Reading articles: decoding, checks with reasons, sidecars, dates, discovery, stdin."""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
import sys
import tempfile
import zipfile
from datetime import date
from pathlib import Path

import pytest

from extract import articles
from extract.articles import (
    ArticleSource,
    InputPathError,
    check_article_id,
    decode,
    discover,
    infer_published,
    load,
    read_sidecar,
    resolved,
    sha256_text,
    stdin_id,
)
from extract.errors import ArticleError, FactsheetError

CHINESE = "福建省与“一带一路”沿线国家贸易额增长7.2%。"


def src(path: Path) -> ArticleSource:
    return ArticleSource(id=path.stem, path=path)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def refused(path: Path, **kw) -> str:
    with pytest.raises(ArticleError) as exc:
        load(src(path), **kw)
    assert isinstance(exc.value, FactsheetError)
    return str(exc.value)


@pytest.mark.parametrize("data", [b"", b"   \n\t\n", b"\xef\xbb\xbf", b"\xef\xbb\xbf  \n"])
def test_empty_files_are_refused(tmp_path, data):
    assert refused(write(tmp_path, "e.txt", data)).startswith("empty")


@pytest.mark.parametrize("data", [bytes(range(256)) * 4, b"PNG\x89\x00\x00\x00IHDR", b"text\x00with a nul byte",
                                  b"".join(bytes([i % 8 + 1]) + b"a" for i in range(200))])
def test_binary_files_are_refused(tmp_path, data):
    assert refused(write(tmp_path, "b.bin", data)).startswith("binary")


def test_gbk_file_is_refused_with_the_reason_and_the_fix(tmp_path):
    message = refused(write(tmp_path, "gbk.txt", CHINESE.encode("gbk")))
    assert message.startswith("not UTF-8 (it looks like GBK/GB18030)")
    assert "--encoding" in message and "iconv" in message


def test_gbk_file_is_decoded_with_an_explicit_encoding(tmp_path):
    article = load(src(write(tmp_path, "gbk.txt", CHINESE.encode("gbk"))), encoding="gbk")
    assert article.text == CHINESE
    assert article.meta.sha256 == sha256_text(CHINESE)


def test_explicit_encoding_is_a_fallback_so_utf8_files_are_not_mangled(tmp_path):
    text = "Fujian’s “Belt and Road” trade — up 7.2%"
    assert load(src(write(tmp_path, "u.txt", text.encode("utf-8"))), encoding="gbk").text == text


def test_explicit_encoding_that_does_not_fit_is_refused(tmp_path):
    message = refused(write(tmp_path, "x.txt", b"\xfa\xfb\xff\xfe" * 10), encoding="ascii")  # no byte-order mark first
    assert "cannot decode as ascii" in message
    assert "unknown-codec" in refused(write(tmp_path, "y.txt", CHINESE.encode("gbk")), encoding="unknown-codec")


def test_utf16_with_explicit_encoding_is_not_called_binary(tmp_path):
    assert load(src(write(tmp_path, "w.txt", "Belt and Road".encode("utf-16"))), encoding="utf-16").text == "Belt and Road"


def test_binary_is_refused_even_with_an_explicit_encoding(tmp_path):
    assert refused(write(tmp_path, "b.bin", b"\x00\x01\x02\x03\xff" * 100), encoding="latin-1").startswith("binary")


def test_too_large_files_are_refused_before_reading(tmp_path):
    path = write(tmp_path, "big.txt", b"a" * 101)
    message = refused(path, max_bytes=100)
    assert "too large: 101 bytes" in message and "--max-bytes" in message
    assert load(src(path), max_bytes=101).text == "a" * 101


def test_too_large_stdin_is_refused():
    with pytest.raises(ArticleError, match="too large"):
        load(ArticleSource(id="stdin", path=None, data=b"a" * 50), max_bytes=10)


def test_missing_file_is_refused(tmp_path):
    assert refused(tmp_path / "nope.txt").startswith("cannot read")


def test_utf8_bom_is_removed(tmp_path):
    article = load(src(write(tmp_path, "bom.txt", "\ufeffTrade grew.".encode())))
    assert article.text == "Trade grew."
    assert article.meta.sha256 == sha256_text("Trade grew.")


def test_crlf_and_tabs_are_text(tmp_path):
    assert load(src(write(tmp_path, "c.txt", b"Line one.\r\n\tLine two.\r\n"))).text == "Line one.\r\n\tLine two.\r\n"


def test_sidecar_metadata(tmp_path):
    path = write(tmp_path, "a1.txt", b"Trade grew last year.")
    (tmp_path / "a1.meta.json").write_text(json.dumps({
        "title": "T", "source": "China News Service", "url": "https://example.org/a1", "published": "2021-01-28",
        "published_note": "notes for people are ignored",
    }), encoding="utf-8")
    article = load(src(path))
    meta = article.meta
    assert (meta.id, meta.title, meta.source, meta.url, meta.published) == (
        "a1", "T", "China News Service", "https://example.org/a1", date(2021, 1, 28))
    assert article.path == path and article.id == "a1"


def test_sidecar_is_optional_and_partial(tmp_path):
    path = write(tmp_path, "a2.txt", b"Trade grew.")
    assert read_sidecar(path) == {}
    (tmp_path / "a2.meta.json").write_text('{"title": "Only a title"}', encoding="utf-8")
    meta = load(src(path)).meta
    assert (meta.title, meta.source, meta.url, meta.published) == ("Only a title", None, None, None)


@pytest.mark.parametrize(("content", "expected"), [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "must hold a JSON object"),
    ('{"published": "January 28"}', "published"),
    ('{"title": 5}', "title"),
])
def test_bad_sidecars_are_refused_naming_the_sidecar(tmp_path, content, expected):
    path = write(tmp_path, "a3.txt", b"Trade grew.")
    (tmp_path / "a3.meta.json").write_text(content, encoding="utf-8")
    message = refused(path)
    assert "a3.meta.json" in message and expected in message


def test_published_is_inferred_from_a_date_line(tmp_path):
    assert infer_published("Headline\n\n发表时间:2020-01-21 14:48\n\nBody") == date(2020, 1, 21)
    assert infer_published("Published: 2019/2/18\nBody") == date(2019, 2, 18)
    assert infer_published("发布时间：2022年1月31日") == date(2022, 1, 31)
    assert infer_published("Date: 2020-13-45") is None
    assert infer_published("On January 28 trade grew.") is None
    assert infer_published("x" * 2000 + "\nPublished: 2020-01-01") is None  # only the head of the text
    path = write(tmp_path, "d.txt", "Headline\n发表时间:2020-01-21 14:48\nBody".encode())
    assert load(src(path)).meta.published == date(2020, 1, 21)


def test_sidecar_date_wins_over_the_text(tmp_path):
    path = write(tmp_path, "d2.txt", "发表时间:2020-01-21\nBody".encode())
    (tmp_path / "d2.meta.json").write_text('{"published": "2020-01-22"}', encoding="utf-8")
    assert load(src(path)).meta.published == date(2020, 1, 22)


def pipe(monkeypatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))


def test_stdin_source(monkeypatch):
    data = b"Published: 2020-01-21\nTrade grew."
    pipe(monkeypatch, data)
    (source,) = list(discover(["-"]))
    assert source.id == stdin_id(data) and source.id.startswith("stdin-") and len(source.id) == len("stdin-") + 16
    assert (source.path, source.label) == (None, f"<stdin:{source.id}>")
    article = load(source)
    assert article.text.startswith("Published") and article.meta.published == date(2020, 1, 21)
    assert article.path is None


def test_two_piped_articles_get_two_ids_and_the_same_article_keeps_its_id(monkeypatch):
    ids = []
    for data in (b"Trade grew by 5% last year.", b"Exports fell by 3% last year.", b"Trade grew by 5% last year."):
        pipe(monkeypatch, data)
        ids.extend(s.id for s in discover(["-"]))
    assert ids[0] != ids[1] and ids[0] == ids[2]


def test_stdin_id_can_be_given(monkeypatch, tmp_path):
    pipe(monkeypatch, b"Trade grew.")
    write(tmp_path, "a.txt", b"x")
    assert [s.id for s in discover([str(tmp_path / "a.txt"), "-"], stdin_name="report-2021")] == ["a", "report-2021"]
    with pytest.raises(InputPathError, match="standard input"):
        list(discover([str(tmp_path / "a.txt")], stdin_name="report-2021"))
    assert check_article_id("report-2021") == "report-2021"
    for bad in ("", "a/b", ".hidden", " padded"):
        with pytest.raises(InputPathError, match="must be a file name"):
            check_article_id(bad)


def test_a_missing_path_is_a_usage_error_before_anything_is_read(monkeypatch, tmp_path):
    write(tmp_path, "a.txt", b"x")
    stdin = io.BytesIO(b"Trade grew.")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(stdin))
    with pytest.raises(InputPathError) as exc:
        list(discover(["-", str(tmp_path / "a.txt"), str(tmp_path / "nope.txt"), str(tmp_path / "gone")]))
    assert isinstance(exc.value, FactsheetError) and not isinstance(exc.value, ArticleError)
    assert str(tmp_path / "nope.txt") in str(exc.value) and str(tmp_path / "gone") in str(exc.value)
    assert stdin.tell() == 0  # standard input was not consumed


def link(path: Path, target: Path | str) -> Path:
    try:
        path.symlink_to(target)
    except (OSError, NotImplementedError):  # pragma: no cover - Windows without the symlink privilege
        pytest.skip("symbolic links are not available here")
    return path


def bad_links(folder: Path) -> tuple[Path, Path]:
    loop = link(folder / "loop.txt", folder / "loop.txt")
    broken = link(folder / "broken.txt", folder / "no-such-target.txt")
    return loop, broken


def test_link_loops_and_broken_links_inside_a_folder_fail_alone(tmp_path):
    write(tmp_path, "a.txt", b"Trade grew.")
    loop, broken = bad_links(tmp_path)
    sources = {s.id: s for s in discover([str(tmp_path)])}
    assert sorted(sources) == ["a", "broken", "loop"]
    assert load(sources["a"]).text == "Trade grew."
    assert sources["loop"].label == str(loop) and sources["broken"].label == str(broken)
    with pytest.raises(ArticleError, match="symbolic link loop"):
        load(sources["loop"])
    with pytest.raises(ArticleError, match=r"broken symbolic link: its target .*no-such-target\.txt does not exist"):
        load(sources["broken"])


def test_link_loops_and_broken_links_given_as_arguments_fail_alone(tmp_path):
    good = write(tmp_path, "a.txt", b"Trade grew.")
    loop, broken = bad_links(tmp_path)
    sources = list(discover([str(loop), str(good), str(broken)]))
    assert [s.id for s in sources] == ["loop", "a", "broken"]
    assert [s.error is None for s in sources] == [False, True, False]
    assert "loop" in sources[0].error and "broken" in sources[2].error
    assert resolved(str(loop)) == os.path.abspath(loop)  # no RuntimeError from Path.resolve on a loop


def test_an_unreadable_folder_fails_alone(tmp_path, monkeypatch):
    """The listing of a folder raises PermissionError (as it does for a user without read access)."""
    locked = tmp_path / "locked"
    locked.mkdir()
    write(locked, "hidden-article.txt", b"x")
    good = write(tmp_path, "a.txt", b"Trade grew.")
    real_scandir = os.scandir

    def scandir(path):
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(articles.os, "scandir", scandir)
    sources = list(discover([str(locked), str(good)]))
    assert [(s.id, s.error) for s in sources] == [("locked", "cannot read folder: Permission denied"), ("a", None)]
    assert sources[0].label == str(locked)
    with pytest.raises(ArticleError, match="cannot read folder: Permission denied"):
        load(sources[0])


def _list_as_unprivileged(paths: list[str]) -> list[list]:
    """discover() run by a user without root's powers: as root, in a forked child that becomes nobody."""

    def listing() -> list[list]:
        return [[s.id, s.error] for s in discover(paths)]

    if os.geteuid() != 0:
        return listing()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            os.write(write_end, json.dumps(listing()).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as reader:
        data = reader.read()
    os.waitpid(pid, 0)
    return json.loads(data)


@pytest.mark.skipif(not hasattr(os, "fork") or not hasattr(os, "geteuid"), reason="needs POSIX permissions")
def test_an_unreadable_folder_fails_alone_for_a_real_user():
    base = Path(tempfile.mkdtemp(prefix="factsheet-perm-"))  # not under pytest's folder, which only root may enter
    locked = base / "locked"
    try:
        base.chmod(0o755)
        write(base, "a.txt", b"Trade grew.").chmod(0o644)
        locked.mkdir()
        write(locked, "b.txt", b"x")
        locked.chmod(0o000)
        listed = _list_as_unprivileged([str(locked), str(base / "a.txt")])
    finally:
        locked.chmod(0o755)
        shutil.rmtree(base)
    assert listed == [["locked", "cannot read folder: Permission denied"], ["a", None]]


def test_a_subfolder_is_not_searched_and_says_so(tmp_path, caplog):
    write(tmp_path, "a.txt", b"x")
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub", "c.txt", b"x")
    with caplog.at_level(logging.WARNING, logger="factsheet"):
        assert [s.id for s in discover([str(tmp_path)])] == ["a"]
    assert "not searched" in caplog.text and str(tmp_path / "sub") in caplog.text


def test_discover_folders_files_sidecars_and_hidden_files(tmp_path):
    for name in ["b.txt", "a.txt", "a.meta.json", ".hidden", "noext", "data.bin"]:
        write(tmp_path, name, b"x")
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub", "c.txt", b"x")
    sources = list(discover([str(tmp_path), str(tmp_path / "sub" / "c.txt")]))
    assert [s.id for s in sources] == ["a", "b", "data", "noext", "c"]
    assert all(s.data is None and s.error is None for s in sources)


BOM_TEXT = "Fujian’s “Belt and Road” trade grew by 7.2% (福建)."


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_utf16_and_utf32_with_a_byte_order_mark_are_read(tmp_path, codec):
    bom = {"utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff",
           "utf-32-le": b"\xff\xfe\x00\x00", "utf-32-be": b"\x00\x00\xfe\xff"}[codec]
    article = load(src(write(tmp_path, "w.txt", bom + BOM_TEXT.encode(codec))))
    assert article.text == BOM_TEXT and article.meta.sha256 == sha256_text(BOM_TEXT)


def test_utf16_without_a_byte_order_mark_is_refused_with_the_flag_to_read_it(tmp_path):
    message = refused(write(tmp_path, "w.txt", BOM_TEXT.encode("utf-16-le")))
    assert message.startswith("binary") and "--encoding utf-16-le" in message


def test_a_bad_utf16_file_with_a_byte_order_mark_is_refused(tmp_path):
    message = refused(write(tmp_path, "w.txt", b"\xff\xfe" + "ok".encode("utf-16-le") + b"\x00\xd8"))  # lone surrogate
    assert "UTF-16" in message and "byte-order mark" in message


@pytest.mark.parametrize("codec", ["utf-8", "utf-16"])
def test_a_nul_byte_anywhere_refuses_the_file(tmp_path, codec):
    text = "Trade grew by 7.2%. " * 5000 + "\x00 hidden"  # past the first 64 KB
    assert len(text.encode(codec)) > 65536
    assert refused(write(tmp_path, "n.txt", text.encode(codec)), max_bytes=10**7).startswith("binary")


def docx_bytes(tmp_path: Path, folder: str = "word/") -> bytes:
    path = tmp_path / "doc.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(f"{folder}document.xml", "<w:document/>")
    return path.read_bytes()


def test_documents_that_are_not_text_say_what_they_are_and_how_to_convert(tmp_path):
    pdf = refused(write(tmp_path, "a.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"))
    assert pdf.startswith("a PDF document") and "pdftotext" in pdf
    docx = refused(write(tmp_path, "b.docx", docx_bytes(tmp_path)))
    assert docx.startswith("a Word document (.docx)") and "pandoc" in docx
    assert refused(write(tmp_path, "c.zip", docx_bytes(tmp_path, "data/"))).startswith("a ZIP archive")
    doc = refused(write(tmp_path, "d.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100))
    assert doc.startswith("an old Microsoft Office document")


@pytest.mark.parametrize("page", [
    "<!DOCTYPE html>\n<html><body><p>Trade grew by 7.2%.</p></body></html>",
    "  \n<html lang='en'><head><title>T</title></head><body>Trade grew.</body></html>",
    "<!-- saved page -->\n<html><body>Trade grew.</body></html>",
    "<p>Trade grew by 7.2%.</p>\n<p>Exports rose.</p>",
])
def test_html_is_refused_with_how_to_get_its_text(tmp_path, page):
    message = refused(write(tmp_path, "p.html", page.encode()))
    assert message.startswith("HTML") and "HTML-to-text" in message and "pandoc" in message


def test_text_that_mentions_tags_is_still_text(tmp_path):
    text = "Trade grew. The site uses <html> and <p> tags, said the PDF report (%PDF-1.7)."
    assert load(src(write(tmp_path, "t.txt", text.encode()))).text == text


def test_decode_directly():
    assert decode("“quoted”".encode()) == "“quoted”"
    with pytest.raises(ArticleError):
        decode(b"")


def test_seed_sidecars_give_each_seed_its_metadata(seeds_dir):
    expected = {
        "000_46216e8fa835e61b": (date(2021, 1, 28), "China News Service"),
        "001_c9623f5d1761bc86": (date(2021, 1, 16), "China News Service"),
        "002_04d536c7ce22d398": (date(2020, 1, 21), "Looking west to Chengdu"),
        "003_dc3fb16bdf9f3b1c": (date(2022, 1, 31), None),
        "004_3c5a6f0b5c3235ac": (date(2019, 2, 18), None),
    }
    assert sorted(s.id for s in discover([str(seeds_dir)])) == sorted(expected)
    for source in discover([str(seeds_dir)]):
        meta = load(source).meta
        assert (meta.published, meta.source) == expected[meta.id]
        assert meta.title and meta.url is None
        side = read_sidecar(source.path)
        assert set(side) == {"title", "source", "url", "published", "published_note"}
        assert len(side["published_note"]) > 40
    text_002 = (seeds_dir / "002_04d536c7ce22d398.txt").read_text(encoding="utf-8")
    title = load(ArticleSource("002_04d536c7ce22d398", seeds_dir / "002_04d536c7ce22d398.txt")).meta.title
    assert text_002.splitlines()[0] == title
    assert infer_published(text_002) == date(2020, 1, 21)  # the sidecar agrees with the text
