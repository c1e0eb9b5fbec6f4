"""Build small .docx files for tests: python-docx's default package, with the body, extra styles
and the numbering part replaced by raw WordprocessingML written here.

    body = [paragraph("KHÁI QUÁT CHUNG", style="Heading1", num=(1, 0)),
            table([["STT", "Tên"], ["1", "CCN Tân Quang"]])]
    data = build_docx(body, numbering=numbering(abstract_num(1, ("upperRoman", "%1.")), num(1, 1)))

Text passed to these helpers is XML-escaped; XML passed as a fragment (the items of
`paragraph`, `cell`, `build_docx`) is used as written.
"""
from __future__ import annotations

import io
from xml.sax.saxutils import escape, quoteattr

import docx
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import parse_xml

NAMESPACES = {
    "w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006",
    "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "wps": "http://schemas.microsoft.com/office/word/2010/wordprocessingShape",
    "v": "urn:schemas-microsoft-com:vml",
    "m": "http://schemas.openxmlformats.org/officeDocument/2006/math",
}
_DECLARATIONS = " ".join(f'xmlns:{prefix}="{uri}"' for prefix, uri in NAMESPACES.items())


def run(text: str, *, bold: bool = False, font: str | None = None, caps: bool = False,
        hidden: bool = False, style: str | None = None, raw: str | None = None) -> str:
    """A w:r. `text` goes in one w:t; `raw` replaces the run's content (w:tab, w:br,
    w:softHyphen ...) when given."""
    props = []
    if style:
        props.append(f"<w:rStyle w:val={quoteattr(style)}/>")
    if font:
        props.append(f"<w:rFonts w:ascii={quoteattr(font)} w:hAnsi={quoteattr(font)}/>")
    if bold:
        props.append("<w:b/>")
    if caps:
        props.append("<w:caps/>")
    if hidden:
        props.append("<w:vanish/>")
    rpr = f"<w:rPr>{''.join(props)}</w:rPr>" if props else ""
    content = raw if raw is not None else f'<w:t xml:space="preserve">{escape(text)}</w:t>'
    return f"<w:r>{rpr}{content}</w:r>"


def paragraph(*items: str, style: str | None = None, num: tuple[int, int] | None = None,
              jc: str | None = None, outline: int | None = None, bold: bool = False,
              font: str | None = None) -> str:
    """A w:p. Each item is XML when it starts with "<", else text for one run (with the given
    `bold` and `font`). `num` is (numId, ilvl)."""
    props = []
    if style:
        props.append(f"<w:pStyle w:val={quoteattr(style)}/>")
    if num is not None:
        props.append(f'<w:numPr><w:ilvl w:val="{num[1]}"/><w:numId w:val="{num[0]}"/></w:numPr>')
    if outline is not None:
        props.append(f'<w:outlineLvl w:val="{outline}"/>')
    if jc:
        props.append(f"<w:jc w:val={quoteattr(jc)}/>")
    ppr = f"<w:pPr>{''.join(props)}</w:pPr>" if props else ""
    body = "".join(item if item.startswith("<") else run(item, bold=bold, font=font) for item in items)
    return f"<w:p>{ppr}{body}</w:p>"


def cell(*items: str, span: int | None = None, vmerge: str | None = None) -> str:
    """A w:tc. Items are paragraphs/tables as XML, or text for one paragraph each. `vmerge` is
    "restart" for the first cell of a vertical merge, "" for a continuing one."""
    props = []
    if span:
        props.append(f'<w:gridSpan w:val="{span}"/>')
    if vmerge is not None:
        props.append(f'<w:vMerge w:val="{vmerge}"/>' if vmerge else "<w:vMerge/>")
    tcpr = f"<w:tcPr><w:tcW w:w=\"{1000 * (span or 1)}\" w:type=\"dxa\"/>{''.join(props)}</w:tcPr>"
    content = "".join(item if item.startswith("<") else paragraph(item) for item in items) or "<w:p/>"
    return f"<w:tc>{tcpr}{content}</w:tc>"


def table(rows: list[list[str]], columns: int | None = None, borders: bool = False) -> str:
    """A w:tbl. A row item is a cell as XML (from `cell`) or text for a plain cell; the grid has
    `columns` columns (default: the longest row); `borders` rules every cell, as printed tables are."""
    width = columns or max(len(row) for row in rows)
    grid = "".join('<w:gridCol w:w="1000"/>' for _ in range(width))
    rules = ("<w:tblBorders>" + "".join(f'<w:{edge} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
                                        for edge in ("top", "left", "bottom", "right", "insideH", "insideV"))
             + "</w:tblBorders>") if borders else ""
    body = "".join(
        "<w:tr>" + "".join(item if item.startswith("<") else cell(item) for item in row) + "</w:tr>"
        for row in rows)
    return (f'<w:tbl><w:tblPr><w:tblW w:w="{1000 * width}" w:type="dxa"/>{rules}</w:tblPr>'
            f"<w:tblGrid>{grid}</w:tblGrid>{body}</w:tbl>")


def text_box(*paragraphs: str) -> str:
    """A run anchoring a text box, stored the way Word stores it: the DrawingML shape in
    mc:Choice and the same text again in a VML mc:Fallback."""
    content = "".join(paragraphs)
    return (
        '<w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing>'
        '<wp:anchor distT="0" distB="0" distL="0" distR="0" simplePos="0" relativeHeight="1" '
        'behindDoc="0" locked="0" layoutInCell="1" allowOverlap="1"><wp:simplePos x="0" y="0"/>'
        '<wp:positionH relativeFrom="column"><wp:posOffset>0</wp:posOffset></wp:positionH>'
        '<wp:positionV relativeFrom="paragraph"><wp:posOffset>0</wp:posOffset></wp:positionV>'
        '<wp:extent cx="1828800" cy="457200"/><wp:wrapNone/><wp:docPr id="1" name="Text Box 1"/>'
        '<a:graphic><a:graphicData uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">'
        f'<wps:wsp><wps:txbx><w:txbxContent>{content}</w:txbxContent></wps:txbx><wps:bodyPr/></wps:wsp>'
        '</a:graphicData></a:graphic></wp:anchor></w:drawing></mc:Choice>'
        '<mc:Fallback><w:pict><v:shape style="width:144pt;height:36pt"><v:textbox>'
        f'<w:txbxContent>{content}</w:txbxContent></v:textbox></v:shape></w:pict></mc:Fallback>'
        '</mc:AlternateContent></w:r>'
    )


def abstract_num(abstract_id: int, *levels: tuple) -> str:
    """A w:abstractNum; each level is (numFmt, lvlText) or (numFmt, lvlText, start), for ilvl
    0, 1, ... in order."""
    xml = []
    for ilvl, level in enumerate(levels):
        number_format, text, start = (*level, 1)[:3]
        xml.append(f'<w:lvl w:ilvl="{ilvl}"><w:start w:val="{start}"/><w:numFmt w:val="{number_format}"/>'
                   f"<w:lvlText w:val={quoteattr(text)}/></w:lvl>")
    return f'<w:abstractNum w:abstractNumId="{abstract_id}">{"".join(xml)}</w:abstractNum>'


def num(num_id: int, abstract_id: int, start_overrides: dict[int, int] | None = None) -> str:
    """A w:num pointing at an abstract list, optionally restarting levels: {ilvl: start}."""
    overrides = "".join(
        f'<w:lvlOverride w:ilvl="{ilvl}"><w:startOverride w:val="{start}"/></w:lvlOverride>'
        for ilvl, start in (start_overrides or {}).items())
    return f'<w:num w:numId="{num_id}"><w:abstractNumId w:val="{abstract_id}"/>{overrides}</w:num>'


def numbering(*definitions: str) -> str:
    """The numbering part: abstract lists first, then nums (as Word orders them)."""
    ordered = sorted(definitions, key=lambda xml: not xml.startswith("<w:abstractNum"))
    return f'<w:numbering {_DECLARATIONS}>{"".join(ordered)}</w:numbering>'


def style(style_id: str, name: str, *, based_on: str | None = None, kind: str = "paragraph",
          ppr: str = "", rpr: str = "") -> str:
    """A w:style with optional pPr and rPr content (raw XML)."""
    based = f"<w:basedOn w:val={quoteattr(based_on)}/>" if based_on else ""
    return (f"<w:style w:type={quoteattr(kind)} w:styleId={quoteattr(style_id)}>"
            f"<w:name w:val={quoteattr(name)}/>{based}"
            f"{f'<w:pPr>{ppr}</w:pPr>' if ppr else ''}{f'<w:rPr>{rpr}</w:rPr>' if rpr else ''}</w:style>")


def build_docx(body: str | list[str], *, numbering: str | None = None, styles: list[str] = ()) -> bytes:
    """A .docx whose body is the given blocks (XML), with `styles` added to (or replacing
    same-id styles of) the default styles, and the numbering part replaced when given."""
    document = docx.Document()
    body_xml = "".join(body) if isinstance(body, list) else body
    element = document.element.body
    section = element.sectPr
    for child in list(element):
        element.remove(child)
    for child in parse_xml(f"<w:body {_DECLARATIONS}>{body_xml}</w:body>"):
        element.append(child)
    if section is not None:
        element.append(section)
    styles_root = document.styles.element
    w = "{%s}" % NAMESPACES["w"]
    for xml in styles:
        new = parse_xml(xml.replace("<w:style ", f"<w:style {_DECLARATIONS} ", 1))
        for old in styles_root.findall(f"{w}style"):
            if old.get(f"{w}styleId") == new.get(f"{w}styleId"):
                styles_root.remove(old)
        styles_root.append(new)
    if numbering is not None:
        document.part.part_related_by(RT.NUMBERING)._element = parse_xml(numbering)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
