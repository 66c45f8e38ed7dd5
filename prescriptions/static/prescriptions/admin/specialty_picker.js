/* Specialty-aware medication picker of the prescription admin.
 * Each medication option carries data-especialidades (empty: any specialty); the doctor's option carries
 * data-especialidade. Options the chosen doctor may not prescribe are disabled and say why, in every item row,
 * including rows added later ("Adicionar outro(a)"). The command checks the rule again on save. */
(function () {
  "use strict";
  function doctorSpecialty() {
    var doctor = document.getElementById("id_medico");
    if (!doctor || doctor.tagName !== "SELECT" || doctor.selectedIndex < 0) { return null; }
    return doctor.options[doctor.selectedIndex].getAttribute("data-especialidade");
  }
  function mark(select, specialty) {
    Array.prototype.forEach.call(select.options, function (option) {
      var allowed = option.getAttribute("data-especialidades");
      if (allowed === null) { return; }
      if (!option.hasAttribute("data-label")) { option.setAttribute("data-label", option.textContent); }
      var refused = Boolean(specialty && allowed && allowed.split(",").indexOf(specialty) < 0);
      option.disabled = refused;
      option.textContent = option.getAttribute("data-label") + (refused ? " (não permitido para " + specialty + ")" : "");
    });
  }
  function markAll() {
    var specialty = doctorSpecialty();
    document.querySelectorAll("select[name$='-medicamento']").forEach(function (select) { mark(select, specialty); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var doctor = document.getElementById("id_medico");
    if (doctor) { doctor.addEventListener("change", markAll); }
    markAll();
  });
  document.addEventListener("formset:added", markAll);
})();
