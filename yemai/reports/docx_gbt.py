"""Word documents in the layout of GB/T 9704 (党政机关公文格式), with python-docx.

A4; margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm; title in 方正小标宋简体 二号
(22 pt), body in 仿宋_GB2312 三号 (16 pt) at a fixed 28 pt line spacing with a two-character
first-line indent; headings 一、 in 黑体 and （一） in 楷体_GB2312, both 三号; page numbers in
宋体 四号 (14 pt) as "— 1 —", right on odd pages and left on even ones. python-docx sets only
the Latin font slots: every run and style here also sets ``w:eastAsia`` so Word picks the
Chinese font (where it is not installed, Word and LibreOffice substitute a similar one).
"""

from __future__ import annotations

import io

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
H1_FONT = "黑体"
H2_FONT = "楷体_GB2312"
PAGE_FONT = "宋体"
BODY_PT = 16
LINE_PT = 28


def set_font(target, name: str, size: float | None = None, bold: bool | None = None) -> None:
    """Set a run's or style's font in every slot (ascii, hAnsi, eastAsia)."""
    font = target.font
    font.name = name
    if size is not None:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    rpr = target.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(slot), name)


def _fixed(paragraph_format, pt: float = LINE_PT) -> None:
    paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    paragraph_format.line_spacing = Pt(pt)
    paragraph_format.space_before = Pt(0)
    paragraph_format.space_after = Pt(0)


def _page_field(paragraph) -> None:
    """ "— PAGE —" in 宋体 四号 (half-width digits)."""

    def run(text=None):
        r = paragraph.add_run(text or "")
        set_font(r, PAGE_FONT, 14)
        return r

    run("— ")
    r = run()
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = " PAGE "
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    r._r.append(begin)
    r._r.append(instr)
    r._r.append(end)
    run(" —")


class OfficialDocument:
    """A document being written: title, headings, paragraphs, tables, pictures, a placeholder."""

    def __init__(self):
        self.doc = Document()
        section = self.doc.sections[0]
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin, section.bottom_margin = Mm(37), Mm(35)
        section.left_margin, section.right_margin = Mm(28), Mm(26)
        section.footer_distance = Mm(28 - 7)  # the page number sits 7 mm below the body
        normal = self.doc.styles["Normal"]
        set_font(normal, BODY_FONT, BODY_PT)
        _fixed(normal.paragraph_format)
        normal.paragraph_format.first_line_indent = Pt(BODY_PT * 2)
        # Odd pages number on the right, even ones on the left, one character in.
        self.doc.settings.odd_and_even_pages_header_footer = True
        odd = section.footer.paragraphs[0]
        odd.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        odd.paragraph_format.first_line_indent = Pt(0)
        odd.paragraph_format.right_indent = Pt(14)
        _page_field(odd)
        even = section.even_page_footer.paragraphs[0]
        even.alignment = WD_ALIGN_PARAGRAPH.LEFT
        even.paragraph_format.first_line_indent = Pt(0)
        even.paragraph_format.left_indent = Pt(14)
        _page_field(even)

    def title(self, text: str) -> None:
        p = self.doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.paragraph_format.first_line_indent = Pt(0)
        _fixed(p.paragraph_format, 36)
        set_font(p.add_run(text), TITLE_FONT, 22)
        self.blank()

    def blank(self) -> None:
        self.doc.add_paragraph()

    def heading(self, text: str, level: int = 1) -> None:
        p = self.doc.add_paragraph()
        set_font(p.add_run(text), H1_FONT if level == 1 else H2_FONT, BODY_PT)

    def paragraph(self, text: str, *, lead: str = "") -> None:
        """A body paragraph; ``lead`` (e.g. "1.") in the body font, bold like the sources."""
        p = self.doc.add_paragraph()
        if lead:
            set_font(p.add_run(lead), BODY_FONT, BODY_PT, bold=True)
        set_font(p.add_run(text), BODY_FONT, BODY_PT)

    def addressee(self, text: str) -> None:
        """The addressee (主送机关): flush left, no indent."""
        p = self.doc.add_paragraph()
        p.paragraph_format.first_line_indent = Pt(0)
        set_font(p.add_run(text), BODY_FONT, BODY_PT)

    def placeholder(self, text: str) -> None:
        """A marked place for the author: highlighted in yellow, bold."""
        p = self.doc.add_paragraph()
        run = p.add_run(text)
        set_font(run, BODY_FONT, BODY_PT, bold=True)
        run.font.highlight_color = WD_COLOR_INDEX.YELLOW

    def right(self, text: str) -> None:
        p = self.doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        p.paragraph_format.first_line_indent = Pt(0)
        p.paragraph_format.right_indent = Pt(BODY_PT * 4)
        set_font(p.add_run(text), BODY_FONT, BODY_PT)

    def table(self, headers: list[str], rows: list[list], *, caption: str = "") -> None:
        if caption:
            p = self.doc.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            p.paragraph_format.first_line_indent = Pt(0)
            set_font(p.add_run(caption), H1_FONT, 14)
        table = self.doc.add_table(rows=1, cols=len(headers))
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        for cell, text in zip(table.rows[0].cells, headers, strict=True):
            self._cell(cell, text, bold=True)
        for row in rows:
            cells = table.add_row().cells
            for cell, value in zip(cells, row, strict=True):
                self._cell(cell, "" if value is None else str(value))

    def _cell(self, cell, text: str, bold: bool = False) -> None:
        p = cell.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.paragraph_format.first_line_indent = Pt(0)
        _fixed(p.paragraph_format, 20)
        set_font(p.add_run(text), BODY_FONT, 12, bold=bold)

    def picture(self, png: bytes, *, caption: str = "", width_mm: float = 150) -> None:
        p = self.doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.paragraph_format.first_line_indent = Pt(0)
        p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE  # a fixed spacing clips it
        p.add_run().add_picture(io.BytesIO(png), width=Mm(width_mm))
        if caption:
            c = self.doc.add_paragraph()
            c.alignment = WD_ALIGN_PARAGRAPH.CENTER
            c.paragraph_format.first_line_indent = Pt(0)
            set_font(c.add_run(caption), BODY_FONT, 14)

    def bytes(self) -> bytes:
        buffer = io.BytesIO()
        self.doc.save(buffer)
        return buffer.getvalue()
