"""/api/docs/ in a real browser with no internet: Swagger UI loads from this server, and a newcomer who
pastes what the Authorize box asks for finds a patient's id on the first try."""

import pytest
from django.contrib.auth.models import Group, User
from rest_framework.authtoken.models import Token
from selenium.webdriver.common.by import By

from tests.browser import screenshot, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def _css(driver, selector: str):
    return driver.find_element(By.CSS_SELECTOR, selector)


def test_newcomer_authorizes_and_finds_a_patient(browser, live_server, paciente):
    # A flushed (transactional) database has lost the groups the migrations create.
    prescritor = User.objects.create_user("integrador", password="senha-forte-123")
    prescritor.groups.add(Group.objects.get_or_create(name="prescritor")[0])
    key = Token.objects.create(user=prescritor).key
    browser.delete_all_cookies()
    browser.get(f"{live_server.url}/api/docs/")
    wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, ".opblock"), "Swagger UI to render the operations")
    external = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
        ".filter(u => !u.startsWith(location.origin) && !u.startsWith('data:'))"
    )
    assert external == []  # nothing from a CDN

    _css(browser, ".btn.authorize").click()
    scheme = wait_for(lambda: _css(browser, ".auth-container"), "the Authorize dialog")
    assert "Cole Token <chave>: a palavra Token, um espaço e a chave" in scheme.text
    scheme.find_element(By.CSS_SELECTOR, "input").send_keys(f"Token {key}")
    _css(browser, ".auth-btn-wrapper .modal-btn.auth").click()
    _css(browser, ".btn-done").click()

    operation = _css(browser, "#operations-cadastros-cadastros_pacientes_list")
    operation.find_element(By.CSS_SELECTOR, ".opblock-summary").click()
    wait_for(lambda: operation.find_elements(By.CSS_SELECTOR, ".try-out__btn"), "Try it out").pop().click()
    operation.find_element(By.CSS_SELECTOR, "input[placeholder='busca']").send_keys("Maria")
    operation.find_element(By.CSS_SELECTOR, ".execute").click()
    status = wait_for(
        lambda: operation.find_elements(By.CSS_SELECTOR, ".live-responses-table tbody .response-col_status"),
        "the live response",
    )
    assert status[0].text.strip() == "200"
    body = operation.find_element(By.CSS_SELECTOR, ".live-responses-table .highlight-code").text
    assert f'"id_paciente": {paciente.pk}' in body and '"nome": "Maria Oliveira"' in body
    screenshot(browser, "api-docs")
