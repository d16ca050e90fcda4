"""Workbooks written part by part (zip + XML), for what no spreadsheet program would
save: bombs, DTDs, lying dimensions, raw float digits."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping, Sequence
from xml.sax.saxutils import quoteattr

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def cell(ref: str, value: str | float, *, style: int | None = None, kind: str = "") -> str:
    """A <c> element: text as an inline string, numbers as <v>; `kind` sets the type
    ("n" with the number's exact digits as text, "s" with a shared string's index …)."""
    s = f' s="{style}"' if style is not None else ""
    if isinstance(value, str) and not kind:
        return f'<c r="{ref}" t="inlineStr"{s}><is><t>{value}</t></is></c>'
    t = f' t="{kind}"' if kind else ""
    return f'<c r="{ref}"{t}{s}><v>{value}</v></c>'


def row(number: int, *cells: str) -> str:
    return f'<row r="{number}">{"".join(cells)}</row>'


def sheet(*rows: str, dimension: str | None = None, prolog: str = "") -> str:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    data = "".join(rows)
    return f'{HEAD}{prolog}<worksheet xmlns="{MAIN}">{dim}<sheetData>{data}</sheetData></worksheet>'


def styles(number_formats: Sequence[int], custom: Mapping[int, str] | None = None) -> str:
    """cellXfs with the given numFmtIds (style index = position; index 0 is General)."""
    fmts = "".join(
        f'<numFmt numFmtId="{i}" formatCode={quoteattr(code)}/>'
        for i, code in (custom or {}).items()
    )
    xfs = "".join(f'<xf numFmtId="{i}" applyNumberFormat="1"/>' for i in (0, *number_formats))
    return (
        f'{HEAD}<styleSheet xmlns="{MAIN}"><numFmts>{fmts}</numFmts>'
        f"<cellXfs>{xfs}</cellXfs></styleSheet>"
    )


def workbook(
    sheet_xml: str,
    *,
    shared_strings: str | None = None,
    styles_xml: str | None = None,
    date1904: bool = False,
    workbook_prolog: str = "",
    extra: Mapping[str, bytes | str] | None = None,
    level: int = 6,
) -> bytes:
    """The smallest package Excel and openpyxl open: one sheet, optional shared strings
    and styles, any extra parts."""
    rels = [f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>']
    parts: dict[str, bytes | str] = {"xl/worksheets/sheet1.xml": sheet_xml}
    if shared_strings is not None:
        rels.append(
            f'<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
        )
        parts["xl/sharedStrings.xml"] = shared_strings
    if styles_xml is not None:
        rels.append(f'<Relationship Id="rId3" Type="{REL}/styles" Target="styles.xml"/>')
        parts["xl/styles.xml"] = styles_xml
    pr = '<workbookPr date1904="1"/>' if date1904 else ""
    parts["xl/workbook.xml"] = (
        f'{HEAD}{workbook_prolog}<workbook xmlns="{MAIN}" xmlns:r="{REL}">{pr}'
        '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    parts["xl/_rels/workbook.xml.rels"] = (
        f'{HEAD}<Relationships xmlns="{PKG}">{"".join(rels)}</Relationships>'
    )
    parts["_rels/.rels"] = (
        f'{HEAD}<Relationships xmlns="{PKG}"><Relationship Id="rId1" '
        f'Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )
    kind = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    parts["[Content_Types].xml"] = (
        f'{HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{kind}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{kind}.worksheet+xml"/>'
        "</Types>"
    )
    parts.update(extra or {})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def shared_strings(*texts: str) -> str:
    items = "".join(f"<si><t>{t}</t></si>" for t in texts)
    return (
        f'{HEAD}<sst xmlns="{MAIN}" count="{len(texts)}" uniqueCount="{len(texts)}">{items}</sst>'
    )


def dimension_bomb() -> bytes:
    """The security review's file: a sheet declaring A1:XFD1048576 with one row, the last."""
    return workbook(sheet(row(1_048_576, cell("A1048576", "x")), dimension="A1:XFD1048576"))


def shared_strings_bomb(unpacked_mb: int = 64) -> bytes:
    """A sharedStrings.xml of `unpacked_mb` MB of one repeated string: a zip bomb."""
    one = "<si><t>aaaaaaaaaaaaaaaa</t></si>"
    body = one * (unpacked_mb * 1024 * 1024 // len(one))
    return workbook(
        sheet(row(1, cell("A1", 0, kind="s"))),
        shared_strings=f'{HEAD}<sst xmlns="{MAIN}">{body}</sst>',
        level=9,
    )


def with_doctype(part: str = "xl/workbook.xml") -> bytes:
    """A billion-laughs DTD in one part (`part`)."""
    dtd = '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]>'
    if part == "xl/workbook.xml":
        return workbook(sheet(row(1, cell("A1", "sku"))), workbook_prolog=dtd)
    if part == "xl/worksheets/sheet1.xml":
        return workbook(sheet(row(1, cell("A1", "&lol2;")), prolog=dtd))
    return workbook(sheet(row(1, cell("A1", "sku"))), extra={part: f"{HEAD}{dtd}<x>&lol2;</x>"})
