/* Applying online: a form built from the item's materials (GET /catalog/items/{code}),
 * submitted with POST /cases and one Idempotency-Key per submission (a double click or a
 * retry files one case); the API's 422 problems are shown at their fields; the case number at
 * the end. A citizen applies for the party of their sign-in: themself, or the business they
 * represent. */
(function () {
  "use strict";
  const P = window.Portal;
  const { S, api, el, showError } = P;
  const L = P.labels("apply-labels");
  const gate = document.getElementById("apply-gate");
  const root = document.getElementById("apply");
  const form = document.getElementById("apply-form");
  const summary = document.getElementById("apply-summary");
  const button = document.getElementById("submit-application");
  const code = root.dataset.code;
  let key = P.idempotencyKey();
  let sent = [];

  function kindOf(current) {
    if (current.kind === "person" || current.kind === "business") return current.kind;
    return /^\d{17}[\dX]$/.test(current.party_id || "") ? "person" : "business";
  }

  function build(item, current) {
    document.getElementById("apply-title").textContent = item.name;
    const kind = kindOf(current);
    document.getElementById("f-party").value = current.party_id;
    document.getElementById("f-name-label").textContent = kind === "business" ? L.name_business : L.name_person;
    document.getElementById("f-name").autocomplete = kind === "business" ? "organization" : "name";
    document.getElementById("f-name").value = current.label || "";
    const representing = document.getElementById("representing");
    representing.hidden = kind !== "business";
    representing.textContent = L.representing;
    document.getElementById("material-fields").replaceChildren(...item.materials.map((m, n) => el("div", { class: "field" },
      el("label", { for: "m-" + n }, m.name + " ", el("span", { class: "muted" }, "(" + (m.required ? L.required : L.optional) + ")")),
      el("input", { id: "m-" + n, name: "material", "data-code": m.code, "aria-describedby": "materials-hint", placeholder: L.doc_ref, maxlength: "500" }))));
    document.getElementById("materials-set").hidden = !item.materials.length;
    form.dataset.kind = kind;
    root.hidden = false;
  }

  function fieldFor(field) {
    if (field === "applicant.name" || field === "applicant") return document.getElementById("f-name");
    if (field.startsWith("form")) return document.getElementById("f-note");
    const m = /^materials\[(\d+)\]/.exec(field);
    if (m && sent[Number(m[1])]) return form.querySelector("input[data-code='" + CSS.escape(sent[Number(m[1])].code) + "']");
    return null;
  }

  async function submit(current) {
    P.clearFieldErrors(form, summary);
    sent = Array.from(form.querySelectorAll("input[name='material']"))
      .filter((input) => input.value.trim())
      .map((input) => ({ code: input.dataset.code, document_ref: input.value.trim() }));
    const note = document.getElementById("f-note").value.trim();
    const body = {
      item_code: code,
      applicant: { party_id: current.party_id, kind: form.dataset.kind, name: document.getElementById("f-name").value.trim() },
      channel: "web",
      materials: sent,
      form: note ? { note } : {},
    };
    button.disabled = true;
    const label = button.textContent;
    button.textContent = L.submitting;
    try {
      const created = await P.command("/cases", body, key);
      key = P.idempotencyKey();
      root.hidden = true;
      const done = document.getElementById("apply-done");
      document.getElementById("done-number").textContent = created.case_number;
      document.getElementById("done-link").href = "/cases/" + encodeURIComponent(created.case_id) + "?after=" + created.position;
      done.dataset.caseId = created.case_id;
      done.hidden = false;
      done.focus();
    } catch (err) {
      if (err instanceof P.ApiError && err.status === 422) P.showFieldErrors(form, summary, err.problem, fieldFor);
      else showError(summary, err), (summary.hidden = false), summary.focus();
    } finally {
      button.disabled = false;
      button.textContent = label;
    }
  }

  const current = P.requireRole(gate, ["citizen"]);
  if (!current && P.session.get() && P.session.get().token) gate.append(el("p", {}, L.citizen_only));
  if (current) {
    form.addEventListener("submit", (event) => { event.preventDefault(); if (!button.disabled) submit(current); });
    api("/catalog/items/" + encodeURIComponent(code), { auth: false }).then((item) => {
      if (item.status !== "published") { gate.replaceChildren(el("p", { class: "notice error" }, L.withdrawn)); return; }
      build(item, current);
    }).catch((err) => showError(gate, err));
  }
})();
