"""Reading articles: decoding, checks with reasons, sidecars, dates, discovery, stdin."""

from __future__ import annotations

import io
import json
import sys
from datetime import date
from pathlib import Path

import pytest

from extract.articles import ArticleSource, decode, discover, infer_published, load, read_sidecar, sha256_text
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
    message = refused(write(tmp_path, "x.txt", b"\xff\xfe\xfa\xfb" * 10), encoding="ascii")
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


def test_stdin_source(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"Published: 2020-01-21\nTrade grew.")))
    (source,) = list(discover(["-"]))
    assert (source.id, source.path, source.label) == ("stdin", None, "<stdin:stdin>")
    article = load(source)
    assert article.text.startswith("Published") and article.meta.published == date(2020, 1, 21)
    assert article.path is None


def test_discover_folders_files_sidecars_and_hidden_files(tmp_path):
    for name in ["b.txt", "a.txt", "a.meta.json", ".hidden", "noext", "data.bin"]:
        write(tmp_path, name, b"x")
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub", "c.txt", b"x")
    sources = list(discover([str(tmp_path), str(tmp_path / "sub" / "c.txt"), str(tmp_path / "missing.txt")]))
    assert [s.id for s in sources] == ["a", "b", "data", "noext", "c", "missing"]
    assert all(s.data is None for s in sources)


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
