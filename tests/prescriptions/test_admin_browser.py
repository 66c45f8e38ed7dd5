"""The prescription admin in a real browser (headless Chromium asking for English), as hospital staff use it.

`test_staff_walk` is the issue's "done means" walk in one go: log in, create a prescription with two items
from the specialty-aware picker, see a refused item's error on its row, edit a dosage, cancel with a reason
after a confirmation, see the reason in the pharmacy's document and a readable history. The other tests
pin one finding each. With SCREENSHOT_DIR set the walk saves the screenshots the README shows.
"""

import datetime as dt

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from hospital import commands as master
from prescriptions.models import Prescricao
from tests.browser import WINDOW, admin_login, screenshot, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "senha-forte-123"


@pytest.fixture
def staff(browser, live_server, admin_user_):
    admin_login(browser, live_server.url, admin_user_.username, PASSWORD)
    return browser


def _css(driver, selector: str):
    return driver.find_element(By.CSS_SELECTOR, selector)


def _save(driver, name: str = "_save") -> None:
    old = _css(driver, "body")
    _css(driver, f"input[name={name}]").click()
    wait_for(lambda: old.id != _css(driver, "body").id, "the next page")


def _pick_patient(driver, nome: str) -> None:
    """The patient field is an autocomplete (select2): open it, type, choose."""
    _css(driver, ".field-paciente .select2-selection").click()
    _css(driver, ".select2-search__field").send_keys(nome)
    option = wait_for(
        lambda: [o for o in driver.find_elements(By.CSS_SELECTOR, ".select2-results__option") if nome in o.text],
        f"{nome} among the patients",
    )
    option[0].click()


def _type(driver, selector: str, value: str) -> None:
    element = _css(driver, selector)
    element.clear()
    element.send_keys(value)


def _fill_item(driver, row: int, medicamento: str, horario: str, dosagem: str) -> None:
    Select(_css(driver, f"#id_itens-{row}-medicamento")).select_by_visible_text(medicamento)
    _type(driver, f"#id_itens-{row}-horario", horario)
    _type(driver, f"#id_itens-{row}-dosagem", dosagem)


def _row_error(driver, row: int, field: str) -> str:
    return _css(driver, f"#id_itens-{row}-{field}_error").text


def test_staff_walk(staff, live_server, cardiologista, paciente, aspirina, paracetamol, quimio, admin_user_):
    base = live_server.url
    staff.get(f"{base}/admin/prescriptions/prescricao/add/")
    assert _css(staff, "#content h1").text == "Adicionar prescrição"  # pt-BR for an English browser
    Select(_css(staff, "#id_medico")).select_by_visible_text("Dr. João Silva — Cardiologia (CRM12345/SP)")
    _pick_patient(staff, "Maria Oliveira")
    _type(staff, "#id_data_prescricao_0", "20/05/2023")
    _type(staff, "#id_data_prescricao_1", "14:30")
    # The picker knows the doctor's specialty: Ciclofosfamida is offered disabled, saying why.
    refused = next(o for o in Select(_css(staff, "#id_itens-0-medicamento")).options if "Ciclofosfamida" in o.text)
    assert refused.text == "Ciclofosfamida — só Oncologia (não permitido para Cardiologia)"
    assert not refused.is_enabled()
    _fill_item(staff, 0, "Aspirina", "08:00", "100mg")
    _fill_item(staff, 1, "Aspirina", "08:00", "100mg")  # the same medication at the same time: refused
    screenshot(staff, "prescription-add")
    _save(staff)
    assert _row_error(staff, 1, "horario").startswith(f"O medicamento {aspirina.pk} já está prescrito às 08:00")
    assert not Prescricao.objects.exists()
    screenshot(staff, "prescription-refused-item")
    _fill_item(staff, 1, "Paracetamol", "20:00", "500mg")
    _save(staff)
    prescricao = Prescricao.objects.get()
    assert f"Prescrição {prescricao.pk} criada com sucesso." in _css(staff, "ul.messagelist").text

    change_url = f"{base}/admin/prescriptions/prescricao/{prescricao.pk}/change/"
    staff.get(change_url)
    assert _css(staff, "#id_itens-0-horario").get_attribute("value") == "08:00"  # saved times read HH:MM
    _type(staff, "#id_itens-0-dosagem", "200mg")
    _save(staff, "_continue")
    assert prescricao.itens.get(medicamento=aspirina).dosagem == "200mg"

    _css(staff, "a.cancel-prescription").click()
    assert _css(staff, "#content h1").text == f"Cancelar a prescrição {prescricao.pk}?"
    assert _css(staff, "#id_motivo").get_attribute("required") == "true"  # no confirming without a reason
    _css(staff, "#id_motivo").send_keys("Paciente alérgica a AAS")
    screenshot(staff, "prescription-cancel")
    _save(staff, "confirmar")
    assert "somente leitura. Motivo: Paciente alérgica a AAS" in _css(staff, "#content-main").text
    assert not staff.find_elements(By.CSS_SELECTOR, "input[name=_save]")  # read-only: no SALVAR to fail

    staff.get(f"{base}/admin/pharmacy/prescricaodocumento/{prescricao.pk}/change/")
    document = _css(staff, "pre.documento").text
    assert '"motivo_cancelamento": "Paciente alérgica a AAS"' in document
    assert '"status": "cancelada"' in document
    assert "20/05/2023 14:30" in _css(staff, ".field-data_local").text
    screenshot(staff, "pharmacy-document")

    staff.get(f"{change_url.removesuffix('change/')}history/")
    rows = [row.text for row in staff.find_elements(By.CSS_SELECTOR, "#change-history tbody tr")]
    assert len(rows) == 3, rows
    assert "Criada para 20/05/2023 14:30 com 2 medicamento(s): Aspirina 08:00 100mg; Paracetamol 20:00 500mg" in rows[0]
    assert "Alterada: Aspirina 08:00: dosagem 100mg → 200mg (evento do outbox nº" in rows[1]
    assert "Cancelada. Motivo: Paciente alérgica a AAS (evento do outbox nº" in rows[2]
    assert all(admin_user_.username in row for row in rows)
    screenshot(staff, "prescription-history")


def test_clock_now_is_accepted_and_saved_to_the_minute(staff, live_server, cardiologista, paciente, aspirina):
    staff.get(f"{live_server.url}/admin/prescriptions/prescricao/add/")
    Select(_css(staff, "#id_medico")).select_by_index(1)
    _pick_patient(staff, "Maria Oliveira")
    Select(_css(staff, "#id_itens-0-medicamento")).select_by_visible_text("Aspirina")
    _css(staff, "#id_itens-0-horario + .datetimeshortcuts a").click()  # "Agora": HH:MM:SS
    filled = _css(staff, "#id_itens-0-horario").get_attribute("value")
    assert len(filled) == 8, filled
    _css(staff, "#id_itens-0-dosagem").send_keys("100mg")
    _save(staff)
    errors = [e.text for e in staff.find_elements(By.CSS_SELECTOR, ".errornote, .errorlist")]
    assert not errors, (errors, _css(staff, "#content").text[:2000])  # the form came back: say why
    item = Prescricao.objects.get().itens.get()
    assert f"{item.horario:%H:%M:%S}" == f"{filled[:5]}:00"


def test_lists_show_names_search_and_filters_at_1400_px(staff, live_server, article_prescription, paciente):
    master.register_patient(nome="Outra Pessoa", data_nascimento=dt.date(1990, 1, 1))
    staff.get(f"{live_server.url}/admin/prescriptions/prescricao/?q=Paracetamol")
    header = [th.text for th in staff.find_elements(By.CSS_SELECTOR, "#result_list thead th")]
    assert header[-2:] == ["SITUAÇÃO", "MEDICAMENTOS"]
    for cell in staff.find_elements(
        By.CSS_SELECTOR, "#result_list td.field-status, #result_list td.field-medicamentos"
    ):
        assert cell.rect["x"] + cell.rect["width"] <= WINDOW[0], "a column is cut at 1400 px"
    assert "Aspirina, Paracetamol" in _css(staff, "#result_list td.field-medicamentos").text
    assert "Maria Oliveira" in _css(staff, "#changelist-filter").text  # filter by patient

    staff.get(f"{live_server.url}/admin/pharmacy/prescricaodocumento/?q=Maria")
    row = _css(staff, "#result_list tbody tr").text
    assert "Maria Oliveira" in row and "Dr. João Silva (CRM12345)" in row and "20/05/2023 11:30" in row

    staff.get(f"{live_server.url}/admin/hospital/paciente/{paciente.pk}/change/")
    listed = _css(staff, ".field-prescricoes").text
    assert f"Prescrição {article_prescription.pk}" in listed and "Aspirina 08:00" in listed

    _css(staff, "#user-tools a[href='/']").click()  # "Ver o site": the landing page, not a debug 404
    wait_for(lambda: "Prescrições hospitalares" in _css(staff, "h1").text, "the landing page")
