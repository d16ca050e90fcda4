"""Uploaded CSV and XLSX files as rows of cells, read defensively.

Pure and synchronous: the bot runs it in a worker process (bot/runtime/workers.py)
with a time and memory limit; the limits here refuse the known tricks before any
real work is done.

XLSX: a workbook is a zip of XML parts. Before parsing, the archive is inspected:
the number of parts, their unpacked sizes and compression ratios (a zip bomb packs
gigabytes into a few kilobytes), and every XML part's prolog — a document type
declaration (DOCTYPE, the door to entity expansion and external entities) is refused
wherever it appears. The sheet is then streamed row by row and only the cells present
are read: the `<dimension>` a sheet declares is never trusted (one declaring
A1:XFD1048576 made a read-only openpyxl pad a million rows to 16,384 columns), and
after the header row only the columns asked for are kept.

Cells are read by their type and number format: a number formatted as a percentage
is a `Number` with `percent=True` (0.25 shown as 25 %), dates become ISO text, and
binary floats lose their noise (Excel stores 19.99 as 19.989999999999998; we read the
15 significant digits Excel shows). Currency formats need nothing: the value is a
plain number.

CSV: UTF-8 (with or without a BOM) and UTF-16 with a BOM are read as such; anything
else is detected among the encodings spreadsheet programs write on Chinese, Korean,
Japanese and Western systems (charset-normalizer's measure of mess, plus how plausible
the decoded characters and the header are), and refused with the list of accepted
encodings when no reading is convincing.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import posixpath
import re
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import IO, Any
from xml.etree import ElementTree
from xml.parsers import expat

from bot.domain.errors import N_, Count, UserInputError
from bot.pricing.numbers import unambiguous

# --- limits -------------------------------------------------------------------------------
MAX_PARTS = 1_000  # Excel writes 10-30; a few hundred with many sheets and pictures
MAX_UNPACKED_BYTES = 200 * 1024 * 1024  # all parts together (honest files: ~10× the zip)
MAX_RATIO = 100  # unpacked / packed, for parts over RATIO_FLOOR (honest sheets: 5-20)
RATIO_FLOOR = 1024 * 1024
MAX_SHARED_STRINGS_BYTES = 64 * 1024 * 1024  # held in memory, unlike the streamed sheet
MAX_SHARED_STRINGS = 1_000_000
MAX_METADATA_BYTES = 16 * 1024 * 1024  # workbook, relationships, styles
MAX_COLUMN = 16_384  # XFD, Excel's last column
_CHUNK = 64 * 1024
_SIGNIFICANT_DIGITS = 15  # what Excel shows of a binary float


class FileRefused(UserInputError):
    """The file as a whole cannot be read (size, rows, type, encoding, structure)."""


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}"


_DAMAGED = N_("I cannot open this file as an XLSX workbook. Save it again from Excel.")


def _damaged() -> FileRefused:
    return FileRefused(_DAMAGED)


class SheetMissing(FileRefused):
    """The workbook has no sheet of the name asked for."""


def sheet_names(content: bytes) -> list[str]:
    """The worksheet names of an XLSX workbook, in order (only the workbook part is read,
    after the archive checks)."""
    return XlsxTable(content, names_only=True).sheet_names


# --- cells ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Number:
    """A numeric spreadsheet cell: the value the user saw, and whether it is formatted as a
    percentage (0.25 with format 0% is shown, and meant, as 25 %)."""

    value: Decimal
    percent: bool = False


Cell = str | Number


def plain(value: Decimal) -> str:
    """Digits without exponent or trailing zeros: 1E+2 → '100', 7.50 → '7.5', -0 → '0'."""
    if not value.is_finite():
        return str(value)
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def cell_text(cell: Cell, *, percent_field: bool = False) -> str:
    """The text the field parsers read. A percentage-formatted number read for a field in
    percent (duty_rate) is ×100: 0.25 → '25'; anywhere else it is its plain value."""
    if isinstance(cell, str):
        return cell
    # a typed number is a value, not writing: never read as a thousands group ('1.2340')
    if cell.percent and percent_field:
        return unambiguous(plain(cell.value.scaleb(2)))
    return unambiguous(plain(cell.value))


def as_written(cell: Cell, *, percent_field: bool = False) -> str:
    """A cell as the seller sees it, for messages: `cell_text` without the zero it may
    add to a typed number to keep it unambiguous."""
    if isinstance(cell, str):
        return cell.strip()
    return plain(cell.value.scaleb(2) if cell.percent and percent_field else cell.value)


def denoise(value: Decimal) -> Decimal:
    """A binary float's decimal expansion rounded to the 15 significant digits a
    spreadsheet shows: 0.30000000000000004 → 0.3, 19.989999999999998 → 19.99."""
    if not value.is_finite() or len(value.as_tuple().digits) <= _SIGNIFICANT_DIGITS:
        return value
    quantum = Decimal(1).scaleb(value.adjusted() - _SIGNIFICANT_DIGITS + 1)
    try:
        return value.quantize(quantum, rounding=ROUND_HALF_EVEN).normalize()
    except InvalidOperation:  # beyond the context's precision: keep it as it is
        return value


# --- a table -----------------------------------------------------------------------------------
class Table:
    """The header row (row 1) as texts, then the data rows: `rows(columns)` yields
    (file row number, the cells of `columns` in that order), skipping rows with no cells."""

    header: list[str]

    def rows(self, columns: Sequence[int]) -> Iterator[tuple[int, list[Cell]]]:
        raise NotImplementedError

    def close(self) -> None:
        """Release the file (XLSX); reading stops."""


def open_table(
    filename: str,
    content: bytes,
    *,
    locale: str | None = None,
    header_score: Callable[[list[str]], int] | None = None,
) -> Table:
    """A CSV or XLSX file (by its first bytes, else by its name) as a `Table`.
    `header_score` rates a candidate header row (how many columns it names) when the
    CSV encoding must be guessed; `locale` breaks ties (a Korean reader's file is more
    likely EUC-KR than Shift_JIS)."""
    if is_xlsx(filename, content):
        return XlsxTable(content)
    return CsvTable(decode_text(content, locale=locale, header_score=header_score))


def is_xlsx(filename: str, content: bytes) -> bool:
    return content[:4] == b"PK\x03\x04" or filename.lower().endswith((".xlsx", ".xlsm"))


# --- CSV -----------------------------------------------------------------------------------------
class CsvTable(Table):
    def __init__(self, text: str) -> None:
        first = text[: text.find("\n")] if "\n" in text else text
        delimiter = max((",", ";", "\t"), key=first.count)
        if not first.count(delimiter):
            delimiter = ","
        self.delimiter = delimiter  # a `;` file writes decimal commas (SPEC §4.2)
        self._reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        self._records = self._read()
        self.header = next(self._records, [])

    def _read(self) -> Iterator[list[str]]:
        try:
            yield from self._reader
        except csv.Error as exc:
            raise FileRefused(
                N_("Row {row} of this CSV file cannot be read ({detail}). Check its quotes."),
                row=self._reader.line_num,
                detail=str(exc),
            ) from None

    def rows(self, columns: Sequence[int]) -> Iterator[tuple[int, list[Cell]]]:
        number = 1
        for record in self._records:
            number += 1
            if not record:
                continue
            width = len(record)
            yield number, [record[i] if i < width else "" for i in columns]


# Encodings a spreadsheet program writes a "CSV" in besides UTF-8: Excel uses the system's
# code page (GB18030/GBK on Chinese Windows, EUC-KR/UHC on Korean, Shift_JIS on Japanese,
# Windows-1252 on Western systems).
ACCEPTED_ENCODINGS = "UTF-8, UTF-16, GB18030 (GBK), EUC-KR, Shift_JIS, Windows-1252 (Latin-1)"
_CANDIDATES = ("gb18030", "cp949", "cp932", "cp1252")
_LOCALE_ENCODING = {"zh_CN": "gb18030", "ko": "cp949", "ja": "cp932"}
_SAMPLE_BYTES = 64 * 1024
_MAX_UNCOMMON = 0.25  # share of implausible characters beyond which no reading convinces
_CP1252_COMMON = frozenset("ŒœŠšŽžŸƒ“”‘’–—…€™•°£¥©®«»¿¡ªº·")


def _unreadable() -> FileRefused:
    return FileRefused(
        N_(
            "I cannot tell which text encoding this file uses. Save it as “CSV UTF-8” or as "
            "XLSX and send it again. I read these encodings: {encodings}."
        ),
        encodings=ACCEPTED_ENCODINGS,
    )


def _is_common(char: str, encoding: str) -> bool:
    """Is `char` one a real text in this encoding's language is made of? (Mojibake of
    another encoding lands on rare characters: GBK-only hanzi, UHC-only Hangul, JIS
    level-2 kanji, half-width katakana, Latin-1 symbols.)"""
    try:
        if encoding == "gb18030":
            char.encode("gb2312")
        elif encoding == "cp949":
            if "\u4e00" <= char <= "\u9fff":
                return False  # Hanja: rare in Korean product names, common in mojibake
            char.encode("euc_kr")
        elif encoding == "cp932":
            if "\uff61" <= char <= "\uff9f":
                return False  # half-width katakana
            code = char.encode("cp932")
            return len(code) == 2 and (code[0] <= 0x84 or 0x88 <= code[0] <= 0x98)
        else:
            return char.isalpha() or char in _CP1252_COMMON
    except UnicodeEncodeError:
        return False
    return True


def _uncommon_share(text: str, encoding: str) -> float:
    wide = [c for c in text if c > "\x7f" and not c.isspace()]
    if not wide:
        return 0.0
    return sum(1 for c in wide if not _is_common(c, encoding)) / len(wide)


def _sample(content: bytes) -> bytes:
    """The header line and the lines with non-ASCII bytes (where encodings differ)."""
    lines = content.split(b"\n")
    picked = [lines[0]]
    size = len(lines[0])
    for line in lines[1:]:
        if size > _SAMPLE_BYTES:
            break
        if not line.isascii():
            picked.append(line)
            size += len(line) + 1
    return b"\n".join(picked)


def _mess(sample: bytes, encodings: Sequence[str]) -> dict[str, float]:
    """charset-normalizer's chaos (mess) ratio of the sample for each encoding it accepts."""
    from charset_normalizer import from_bytes

    found: dict[str, float] = {}
    for match in from_bytes(sample, cp_isolation=list(encodings), threshold=0.5):
        encoding = codecs.lookup(match.encoding).name
        found[encoding] = min(found.get(encoding, 1.0), match.chaos)
    return found


def decode_text(
    content: bytes,
    *,
    locale: str | None = None,
    header_score: Callable[[list[str]], int] | None = None,
) -> str:
    """The text of a CSV file (see the module's docstring); refuses when unsure."""
    if content.startswith(codecs.BOM_UTF8):
        try:
            return content[3:].decode("utf-8")
        except UnicodeDecodeError:
            raise _unreadable() from None
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return content.decode("utf-16")  # Excel's "Unicode text"
        except UnicodeDecodeError:
            raise _unreadable() from None
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    decoded: dict[str, str] = {}
    for encoding in _CANDIDATES:
        try:
            decoded[codecs.lookup(encoding).name] = content.decode(encoding)
        except UnicodeDecodeError:
            continue
    if not decoded:
        raise _unreadable()
    sample = _sample(content)
    mess = _mess(sample, list(decoded))
    preferred = codecs.lookup(_LOCALE_ENCODING.get(locale or "", "cp1252")).name
    scored = []
    for encoding in decoded:
        if encoding not in mess:
            continue  # charset-normalizer found this reading too messy
        sample_text = sample.decode(encoding, errors="replace")
        header = _first_line_cells(sample_text)
        uncommon = _uncommon_share(sample_text, encoding)
        if uncommon > _MAX_UNCOMMON:
            continue
        scored.append(
            (
                header_score(header) if header_score else 0,
                -round(uncommon, 2),
                -round(mess[encoding], 2),
                encoding == preferred,
                encoding,
            )
        )
    if not scored:
        raise _unreadable()
    scored.sort(reverse=True)
    best = scored[0]
    if len(scored) > 1 and scored[1][:4] == best[:4]:
        raise _unreadable()  # two readings equally convincing and none the reader's own
    text = decoded[best[4]]
    return text[1:] if text.startswith("\ufeff") else text  # GB18030's own BOM


def _first_line_cells(text: str) -> list[str]:
    line = text.split("\n", 1)[0].strip("\r\ufeff")
    return re.split(r"[,;\t]", line)


# --- XLSX ----------------------------------------------------------------------------------------
_MAIN_NS = (
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "http://purl.oclc.org/ooxml/spreadsheetml/main",  # ISO "strict" workbooks
)
_OFFICE_DOCUMENT = "/officeDocument"
_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC_REL_NS = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "http://purl.oclc.org/ooxml/officeDocument/relationships",
)
_DATE_IDS = frozenset([*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)])
_LITERALS = re.compile(r'"[^"]*"|\\.|_.|\*.|\[[^\]]*\]')
_CELL_REF = re.compile(r"([A-Za-z]{1,3})(\d+)")
_EPOCH_1900 = date(1899, 12, 30)  # serial 1 is 1900-01-01 (after Excel's leap-year bug)
_EPOCH_1904 = date(1904, 1, 1)


class _DoctypeFound(Exception):
    pass


class _RootReached(Exception):
    pass


def _refuse_doctype() -> FileRefused:
    return FileRefused(
        N_(
            "This workbook contains a document type declaration (DOCTYPE), which "
            "spreadsheets never need, so I do not read it. Save it again from Excel, or as "
            "“CSV UTF-8”."
        )
    )


def inspect_archive(archive: zipfile.ZipFile) -> None:
    """Refuse a workbook whose archive is a bomb (too many parts, too much unpacked data,
    a part packed too tightly) or whose XML declares a DTD anywhere. Reads only the
    archive's directory and each XML part's prolog."""
    members = archive.infolist()
    if len(members) > MAX_PARTS:
        raise FileRefused(
            N_(
                "This file is too large or complex to read: it holds {count} parts (a "
                "workbook needs a few dozen; I read up to {limit}). Save it again from Excel, "
                "or as “CSV UTF-8”."
            ),
            count=Count(len(members)),
            limit=Count(MAX_PARTS),
        )
    total = 0
    for member in members:
        if member.flag_bits & 0x1 or member.compress_type not in (
            zipfile.ZIP_STORED,
            zipfile.ZIP_DEFLATED,
        ):
            raise _damaged()  # encrypted, or packed in a way Excel never uses
        total += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > RATIO_FLOOR and ratio > MAX_RATIO:
            raise FileRefused(
                N_(
                    "This file is too large or complex to read: a part of it unpacks to "
                    "{ratio} times its packed size, as a zip bomb does (spreadsheets stay "
                    "under {limit}). Save it again from Excel, or as “CSV UTF-8”."
                ),
                ratio=Count(int(ratio)),
                limit=Count(MAX_RATIO),
            )
    if total > MAX_UNPACKED_BYTES:
        raise FileRefused(
            N_(
                "This file is too large or complex to read: it unpacks to {size} MB (I read "
                "up to {limit} MB). Split it, or save it as “CSV UTF-8”."
            ),
            size=_mb(total),
            limit=_mb(MAX_UNPACKED_BYTES),
        )
    for member in members:
        if not member.is_dir():
            _check_prolog(archive, member)


def _check_prolog(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> None:
    """Parse an XML part up to its root element: refuse a DOCTYPE; ignore non-XML parts."""
    with archive.open(member) as stream:
        first = stream.read(_CHUNK)
        head = first.lstrip(b"\xef\xbb\xbf \t\r\n")
        utf16 = first[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
        if not (head.startswith(b"<") or utf16):
            return  # a picture or another binary part
        parser = expat.ParserCreate()

        def doctype(*_: object) -> None:
            raise _DoctypeFound

        def root(*_: object) -> None:
            raise _RootReached

        parser.StartDoctypeDeclHandler = doctype
        parser.EntityDeclHandler = doctype
        parser.StartElementHandler = root
        chunk = first
        try:
            while chunk:
                parser.Parse(chunk, False)
                chunk = stream.read(_CHUNK)
            parser.Parse(b"", True)
        except _DoctypeFound:
            raise _refuse_doctype() from None
        except (_RootReached, expat.ExpatError):
            return  # the prolog is over (or this is not XML after all)


def _limited(stream: IO[bytes], limit: int) -> IO[bytes]:
    return _LimitedReader(stream, limit)  # type: ignore[return-value]


class _LimitedReader:
    """A binary stream that refuses to yield more than `limit` bytes."""

    def __init__(self, stream: IO[bytes], limit: int) -> None:
        self._stream = stream
        self._left = limit

    def __enter__(self) -> _LimitedReader:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._stream.close()

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(_CHUNK if size is None or size < 0 else size)
        self._left -= len(data)
        if self._left < 0:
            raise FileRefused(
                N_(
                    "This file is too large or complex to read: it unpacks to more than "
                    "{limit} MB. Split it, or save it as “CSV UTF-8”."
                ),
                limit=_mb(MAX_UNPACKED_BYTES),
            )
        return data


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _column_index(letters: str) -> int:
    """'A' → 0, 'AA' → 26."""
    index = 0
    for letter in letters.upper():
        index = index * 26 + ord(letter) - 64
    return index - 1


def _format_kind(format_id: int, code: str | None) -> str:
    """'percent', 'date' or 'number' for a cell style's number format."""
    from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format

    if code is None:
        if format_id in _DATE_IDS:
            return "date"
        code = BUILTIN_FORMATS.get(format_id)
    if not code:
        return "number"
    if "%" in _LITERALS.sub("", code):
        return "percent"
    if is_date_format(code) and not is_timedelta_format(code):
        return "date"
    return "number"


class XlsxTable(Table):
    """The first worksheet of a workbook, streamed (see the module's docstring)."""

    _pending: tuple[int, dict[int, Any]] | None = None
    _keep: Mapping[int, int] | None = None

    sheet_names: list[str]

    def __init__(
        self, content: bytes | str, *, sheet: str | None = None, names_only: bool = False
    ) -> None:
        """The first worksheet, or the one named `sheet` (`SheetMissing` when there is
        none). `names_only`: read the workbook's sheet names (`sheet_names`) and stop."""
        try:
            source = io.BytesIO(content) if isinstance(content, bytes) else content
            self._archive = zipfile.ZipFile(source)
        except (zipfile.BadZipFile, OSError, ValueError):
            raise _damaged() from None
        try:
            inspect_archive(self._archive)
            workbook_path = self._office_document()
            sheet_path, strings_path, styles_path, date1904 = self._workbook(workbook_path, sheet)
            if names_only:
                self.header = []
                self.close()
                return
            self._epoch = _EPOCH_1904 if date1904 else _EPOCH_1900
            self._kinds = self._styles(styles_path) if styles_path else []
            self._strings = self._shared_strings(strings_path) if strings_path else []
            self._sheet_path = sheet_path
            self._rows = self._read_sheet()
            self.header = self._read_header()
        except FileRefused:
            self.close()
            raise
        except (ElementTree.ParseError, zipfile.BadZipFile, KeyError, ValueError, EOFError):
            self.close()
            raise _damaged() from None

    def close(self) -> None:
        self._archive.close()

    # -- the package ----------------------------------------------------------------------
    def _open(self, path: str, limit: int) -> IO[bytes]:
        try:
            info = self._archive.getinfo(path)
        except KeyError:
            raise _damaged() from None
        if info.file_size > limit:
            raise FileRefused(
                N_(
                    "This file is too large or complex to read: it unpacks to more than "
                    "{limit} MB. Split it, or save it as “CSV UTF-8”."
                ),
                limit=_mb(limit),
            )
        return _limited(self._archive.open(info), limit)

    def _relationships(self, part: str) -> dict[str, tuple[str, str]]:
        """A part's relationships: id → (type, absolute target path)."""
        folder, name = posixpath.split(part)
        rels_path = posixpath.join(folder, "_rels", name + ".rels")
        if rels_path not in self._archive.NameToInfo:
            return {}
        found = {}
        with self._open(rels_path, MAX_METADATA_BYTES) as stream:
            for _, element in ElementTree.iterparse(stream):
                external = element.get("TargetMode") == "External"
                if _local(element.tag) == "Relationship" and not external:
                    target = element.get("Target", "")
                    if target.startswith("/"):
                        path = target.lstrip("/")
                    else:
                        path = posixpath.normpath(posixpath.join(folder, target))
                    found[element.get("Id", "")] = (element.get("Type", ""), path)
        return found

    def _office_document(self) -> str:
        for kind, path in self._relationships("").values():
            if kind.endswith(_OFFICE_DOCUMENT):
                return path
        if "xl/workbook.xml" in self._archive.NameToInfo:
            return "xl/workbook.xml"
        raise _damaged()

    def _workbook(
        self, path: str, wanted: str | None = None
    ) -> tuple[str, str | None, str | None, bool]:
        relationships = self._relationships(path)
        first_sheet: str | None = None
        date1904 = False
        self.sheet_names = []
        with self._open(path, MAX_METADATA_BYTES) as stream:
            for _, element in ElementTree.iterparse(stream):
                name = _local(element.tag)
                if name == "workbookPr":
                    date1904 = element.get("date1904", "0").lower() in ("1", "true")
                elif name == "sheet":
                    title = element.get("name", "")
                    self.sheet_names.append(title)
                    if first_sheet is None and (wanted is None or title == wanted):
                        for ns in _DOC_REL_NS:
                            first_sheet = first_sheet or element.get(f"{{{ns}}}id")
        if first_sheet is None and wanted is not None:
            raise SheetMissing(_DAMAGED, sheet=wanted)
        if first_sheet is None or first_sheet not in relationships:
            raise _damaged()
        sheet = relationships[first_sheet][1]
        strings = styles = None
        for kind, target in relationships.values():
            if kind.endswith("/sharedStrings"):
                strings = target
            elif kind.endswith("/styles"):
                styles = target
        return sheet, strings, styles, date1904

    def _styles(self, path: str) -> list[str]:
        """The number format kind of each cell style (cellXfs, by index)."""
        codes: dict[int, str] = {}
        kinds: list[str] = []
        in_cell_xfs = False
        with self._open(path, MAX_METADATA_BYTES) as stream:
            for event, element in ElementTree.iterparse(stream, events=("start", "end")):
                name = _local(element.tag)
                if name == "cellXfs":
                    in_cell_xfs = event == "start"
                elif event != "end":
                    continue
                elif name == "numFmt":
                    with contextlib.suppress(ValueError):
                        codes[int(element.get("numFmtId", ""))] = element.get("formatCode", "")
                elif name == "xf" and in_cell_xfs:
                    try:
                        format_id = int(element.get("numFmtId", "0"))
                    except ValueError:
                        format_id = 0
                    kinds.append(_format_kind(format_id, codes.get(format_id)))
        return kinds

    def _shared_strings(self, path: str) -> list[str]:
        strings: list[str] = []
        with self._open(path, MAX_SHARED_STRINGS_BYTES) as stream:
            root = None
            for event, element in ElementTree.iterparse(stream, events=("start", "end")):
                if root is None:
                    root = element
                    continue
                if event == "end" and _local(element.tag) == "si":
                    strings.append(_rich_text(element))
                    root.clear()
                    if len(strings) > MAX_SHARED_STRINGS:
                        raise FileRefused(
                            N_(
                                "This file is too large or complex to read: it holds more "
                                "than {limit} different texts. Split it, or save it as "
                                "“CSV UTF-8”."
                            ),
                            limit=Count(MAX_SHARED_STRINGS),
                        )
        return strings

    # -- the sheet ------------------------------------------------------------------------
    def _read_header(self) -> list[str]:
        first = next(self._rows, None)
        if first is None:
            return []
        number, cells = first
        if number != 1:
            self._pending = first
            return []
        width = max(cells, default=-1) + 1
        header = [""] * width
        for index, (kind, style, raw) in cells.items():
            header[index] = cell_text(self._cell(kind, style, raw))
        return header

    def rows(self, columns: Sequence[int]) -> Iterator[tuple[int, list[Cell]]]:
        position = {index: i for i, index in enumerate(columns)}
        self._keep = position
        if self._pending is not None:
            number, cells = self._pending
            self._pending = None
            yield number, self._select(cells, position)
        try:
            for number, cells in self._rows:
                if cells:
                    yield number, self._select(cells, position)
        except ElementTree.ParseError:
            raise _damaged() from None
        finally:
            self.close()

    def _select(self, cells: Mapping[int, Any], position: Mapping[int, int]) -> list[Cell]:
        row: list[Cell] = [""] * len(position)
        for index, (kind, style, raw) in cells.items():
            at = position.get(index)
            if at is not None:
                row[at] = self._cell(kind, style, raw)
        return row

    def _read_sheet(self) -> Iterator[tuple[int, dict[int, Any]]]:
        """(row number, {column index: (type, style, raw value)}) for each row element;
        after the header only the kept columns are collected."""
        stream = self._open(self._sheet_path, MAX_UNPACKED_BYTES)
        events = ElementTree.iterparse(stream, events=("start", "end"))
        row_tag = c_tag = v_tag = is_tag = data_tag = ""
        sheet_data = None
        last_row = 0
        for event, element in events:
            if event == "start":
                if not row_tag:  # the root element names the namespace
                    ns = element.tag[: element.tag.find("}") + 1] if element.tag[0] == "{" else ""
                    row_tag, c_tag, v_tag, is_tag = (f"{ns}row", f"{ns}c", f"{ns}v", f"{ns}is")
                    data_tag = f"{ns}sheetData"
                elif element.tag == data_tag:
                    sheet_data = element
                continue
            if element.tag != row_tag:
                continue
            reference = element.get("r")
            number = int(reference) if reference and reference.isdigit() else last_row + 1
            last_row = max(number, last_row)
            keep = self._keep
            cells: dict[int, Any] = {}
            column = -1
            for cell in element:
                if cell.tag != c_tag:
                    continue
                ref = cell.get("r")
                match = _CELL_REF.fullmatch(ref) if ref else None
                column = _column_index(match[1]) if match else column + 1
                if column >= MAX_COLUMN or (keep is not None and column not in keep):
                    continue
                kind = cell.get("t", "n")
                raw: str | None = None
                for child in cell:
                    if child.tag == v_tag:
                        raw = child.text or ""
                    elif child.tag == is_tag:
                        raw = _rich_text(child)
                        kind = "inlineStr"
                if raw is not None:
                    cells[column] = (kind, cell.get("s"), raw)
            if sheet_data is not None:
                sheet_data.clear()
            else:
                element.clear()
            yield number, cells

    def _cell(self, kind: str, style: str | None, raw: str) -> Cell:
        if kind == "s":
            try:
                return self._strings[int(raw)]
            except (ValueError, IndexError):
                raise _damaged() from None
        if kind in ("inlineStr", "str", "e"):
            return raw
        if kind == "b":
            return "true" if raw.strip() in ("1", "true") else "false"
        if kind == "d":
            return raw.strip().removesuffix("T00:00:00").replace("T", " ")
        try:
            value = Decimal(raw.strip())
        except InvalidOperation:
            return raw
        if not value.is_finite():
            return raw
        format_kind = "number"
        if style:
            with contextlib.suppress(ValueError, IndexError):
                format_kind = self._kinds[int(style)]
        if format_kind == "date":
            return _date_text(value, self._epoch)
        return Number(denoise(value), percent=format_kind == "percent")


def _rich_text(element: ElementTree.Element) -> str:
    """The text of a shared or inline string: plain <t>, or the <t> of rich-text runs
    (phonetic runs, <rPh>, are left out)."""
    parts = []
    for child in element:
        name = _local(child.tag)
        if name == "t":
            parts.append(child.text or "")
        elif name == "r":
            for run in child:
                if _local(run.tag) == "t":
                    parts.append(run.text or "")
    return "".join(parts)


def _date_text(serial: Decimal, epoch: date) -> str:
    """A date-formatted number as ISO text: '2026-11-27', '2026-11-27 12:00', '12:30'."""
    if not 0 <= serial < 2_958_466:  # 9999-12-31
        return plain(serial)
    whole = int(serial)
    seconds = round((serial - whole) * 86_400)
    days = whole + seconds // 86_400
    seconds %= 86_400
    clock = time(seconds // 3600, seconds // 60 % 60, seconds % 60)
    spec = "minutes" if clock.second == 0 else "seconds"
    if epoch == _EPOCH_1900:
        if days == 0:
            return clock.isoformat(spec)  # a time of day alone
        if days < 60:
            days += 1  # Excel's phantom 1900-02-29
    day = epoch + timedelta(days=days)
    return day.isoformat() if seconds == 0 else f"{day.isoformat()} {clock.isoformat(spec)}"
