"""A `Receita` as a printable HTML page (template `pharmacy/receita.html`) or as a PDF (fpdf2).

fpdf2's built-in Helvetica covers Latin-1, which holds every Portuguese
letter; characters outside it are replaced, never an error.
"""

from django.template.loader import render_to_string
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from pharmacy.receita import Receita

MEDIA_TYPES = {"html": "text/html; charset=utf-8", "pdf": "application/pdf"}


def html(receita: Receita) -> str:
    return render_to_string("pharmacy/receita.html", {"receita": receita})


def _latin1(text: str) -> str:
    return text.replace("—", "-").replace("–", "-").encode("latin-1", "replace").decode("latin-1")


class _Pdf(FPDF):
    def line_text(self, text: str, *, size: float = 11, style: str = "", height: float = 6) -> None:
        self.set_font("Helvetica", style, size)
        self.multi_cell(0, height, _latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def section(self, title: str) -> None:
        self.ln(3)
        self.line_text(title.upper(), size=9, style="B", height=5)
        self.set_draw_color(150, 150, 150)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(1)


def pdf(receita: Receita) -> bytes:
    doc = _Pdf(format="A4")
    doc.set_title(_latin1(f"Receita {receita.numero}"))
    doc.set_creator(_latin1(receita.hospital))
    doc.set_margins(20, 18, 20)
    doc.add_page()
    doc.line_text(receita.hospital, size=16, style="B", height=8)
    doc.line_text(f"Receita médica nº {receita.numero} - emitida em {receita.emitida_em}", size=10)
    if receita.cancelada:
        doc.ln(2)
        doc.set_text_color(180, 0, 0)
        doc.line_text("RECEITA CANCELADA - NÃO DISPENSAR", size=14, style="B", height=8)
        doc.set_text_color(0, 0, 0)
    doc.section("Paciente")
    doc.line_text(receita.paciente, style="B")
    doc.line_text(f"Data de nascimento: {receita.nascimento}")
    if receita.endereco:
        doc.line_text(f"Endereço: {receita.endereco}")
    doc.section("Médico(a)")
    doc.line_text(receita.medico, style="B")
    doc.line_text(f"{receita.crm} - {receita.especialidade}")
    doc.section("Medicamentos")
    for n, item in enumerate(receita.medicamentos, start=1):
        doc.line_text(f"{n}. {item.nome} - {item.dosagem}", style="B")
        doc.line_text(f"Horários: {', '.join(item.horarios)}")
        if item.descricao:
            doc.line_text(item.descricao, size=9, height=5)
        doc.ln(1)
    doc.section("Situação")
    doc.line_text(receita.situacao)
    doc.ln(14)
    doc.line_text("_______________________________________", height=5)
    doc.line_text(f"{receita.medico} - {receita.crm}", size=9, height=5)
    return bytes(doc.output())
