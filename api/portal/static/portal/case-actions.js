/* What the signed-in person may do with the case now, below the case page: the applicant
 * supplies requested materials, withdraws, rates after the decision; a clerk requests
 * materials, accepts or refuses, assigns, suspends and resumes, extends, decides. Each form
 * sends the case's version as `expected_version` and its own Idempotency-Key. A 409 (someone
 * changed the case meanwhile, or its status refuses the action) is explained and the case is
 * loaded again; a 422 is shown at the fields. */
(function () {
  "use strict";
  const P = window.Portal;
  const { S, api, el, fmt } = P;
  const L = P.labels("action-labels");
  const box = document.getElementById("case-actions");
  const list = box.querySelector(".action-list");
  const notice = document.getElementById("case-notice");
  const OPEN = ["submitted", "materials_requested", "accepted", "suspended"];
  const items = {};

  function item(code) {
    if (!items[code]) items[code] = api("/catalog/items/" + encodeURIComponent(code), { auth: false }).catch(() => ({ materials: [] }));
    return items[code];
  }

  function say(text, isError) {
    notice.textContent = text;
    notice.className = "notice" + (isError ? " error" : " ok");
    notice.hidden = false;
    notice.focus();
  }

  /* Field helpers: every input has a visible label; groups are fieldsets with a legend. */
  let seq = 0;
  function input(name, label, attrs) {
    const id = "a-" + name.replace(/\W/g, "-") + "-" + (++seq);
    const { value: initial, ...rest } = attrs || {};
    const field = el(rest.rows ? "textarea" : "input", { id, name, ...rest });
    if (initial) field.value = initial;
    return el("div", { class: "field" }, el("label", { for: id }, label), field);
  }
  function choices(name, legend, options, type) {
    return el("fieldset", { class: "field choices", id: "a-" + name + "-" + (++seq), tabindex: "-1" }, el("legend", {}, legend),
      options.map(([value, text, checked]) => {
        const id = "a-" + name + "-" + value.replace(/\W/g, "-") + "-" + (++seq);
        return el("div", { class: "choice" }, el("input", { type, id, name, value, checked }), el("label", { for: id }, text));
      }));
  }

  function action(name, title, fields, body, c, reload, hint) {
    const summary = el("div", { class: "error-summary", role: "alert", tabindex: "-1", hidden: true });
    const form = el("form", { novalidate: true, "data-action": name },
      hint ? el("p", { class: "muted small" }, hint) : null, summary, fields,
      el("div", { class: "actions" }, el("button", { type: "submit", class: name === "withdraw" || name === "reject-acceptance" ? "danger" : "" }, title)));
    const key = P.idempotencyKey();
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const button = form.querySelector("button[type=submit]");
      if (button.disabled) return;
      P.clearFieldErrors(form, summary);
      button.disabled = true; button.textContent = L.working;
      try {
        const done = await P.command("/cases/" + c.case_id + "/" + name, { ...body(form), expected_version: c.version }, key);
        say(fmt(S.ui.done, { action: title }));
        reload(done.position);
      } catch (err) {
        button.disabled = false; button.textContent = title;
        if (err instanceof P.ApiError && err.status === 422) {
          P.showFieldErrors(form, summary, err.problem, (field) => {
            const top = field.split(/[.[]/)[0];
            const m = /^materials\[(\d+)\]/.exec(field);
            if (m) return form.querySelectorAll("input[data-code]")[Number(m[1])] || null;
            return form.querySelector("[name='" + top + "']:not([type=radio]):not([type=checkbox])") ||
              (form.querySelector("[name='" + top + "']") ? form.querySelector("[name='" + top + "']").closest("fieldset") : null);
          });
        } else if (err instanceof P.ApiError && err.status === 409) {
          const stale = /(stale-version|concurrency-conflict)$/.test(err.problem.type || "");
          say((stale ? L.stale : L.refused) + " " + fmt(S.ui.server_said, { detail: err.problem.detail || err.problem.title }), true);
          reload();
        } else {
          say(P.errorMessage(err), true);
        }
      }
    });
    const open = fields.length > 0;
    return open
      ? el("details", { class: "action", "data-action": name }, el("summary", {}, title), form)
      : el("div", { class: "action plain", "data-action": name }, form);
  }

  const value = (form, name) => (form.elements[name] ? form.elements[name].value.trim() : "");
  const number = (text) => (/^\d+$/.test(text) ? Number(text) : text);

  function citizenActions(c, reload, it) {
    const out = [];
    const names = Object.fromEntries((it.materials || []).map((m) => [m.code, m.name]));
    if (c.status === "materials_requested" && c.requested_materials.length) {
      out.push(action("supplement-materials", L["supplement-materials"],
        c.requested_materials.map((code) => input("material", (names[code] || code), { "data-code": code, maxlength: "500", placeholder: L.doc_ref })),
        (form) => ({ materials: Array.from(form.querySelectorAll("input[data-code]")).filter((i) => i.value.trim())
          .map((i) => ({ code: i.dataset.code, document_ref: i.value.trim() })) }), c, reload, L.supplement_hint));
    }
    if (["approved", "rejected", "refused"].includes(c.status) && !c.rating) {
      out.push(action("rate", L.rate, [
        choices("score", L.score, [5, 4, 3, 2, 1].map((n) => [String(n), [el("span", { "aria-hidden": "true", class: "stars" }, "★".repeat(n)), " " + fmt(S.ui.rating, { score: n })], n === 5]), "radio"),
        input("comment", L.comment, { rows: 3, maxlength: "1000" })],
        (form) => ({ score: number((form.querySelector("input[name=score]:checked") || {}).value || ""), comment: value(form, "comment") }), c, reload));
    }
    if (OPEN.includes(c.status)) {
      out.push(action("withdraw", L.withdraw, [input("reason", L.reason_optional, { rows: 2, maxlength: "2000" })],
        (form) => ({ reason: value(form, "reason") }), c, reload, L.withdraw_hint));
    }
    return out;
  }

  function clerkActions(c, reload, it, me) {
    const out = [];
    const s = c.status;
    const reason = () => input("reason", L.reason, { rows: 2, maxlength: "2000" });
    const withReason = (form) => ({ reason: value(form, "reason") });
    if (s === "submitted") out.push(action("accept", L.accept, [], () => ({}), c, reload, L.accept_hint));
    if (s === "suspended") out.push(action("resume", L.resume, [], () => ({}), c, reload));
    if (s === "accepted") {
      out.push(action("decide", L.decide, [
        choices("outcome", L.outcome, [["approved", L.approve, true], ["rejected", L.reject, false]], "radio"),
        input("reasons", L.reasons, { rows: 3, maxlength: "2000" }),
        input("legal_basis", L.legal_basis, { rows: 2, maxlength: "2000", value: it.legal_basis || "" })],
        (form) => ({ outcome: (form.querySelector("input[name=outcome]:checked") || {}).value, reasons: value(form, "reasons"), legal_basis: value(form, "legal_basis") }), c, reload));
    }
    if (s === "submitted" || s === "accepted") {
      out.push(action("request-materials", L["request-materials"], [
        choices("codes", L.codes, (it.materials || []).map((m) => [m.code, m.name + (c.materials.includes(m.code) ? "" : " (" + L.not_given + ")"), !c.materials.includes(m.code) && m.required]), "checkbox"),
        input("note", L.note, { rows: 2, maxlength: "2000" })],
        (form) => ({ codes: Array.from(form.querySelectorAll("input[name=codes]:checked")).map((i) => i.value), note: value(form, "note") }), c, reload));
    }
    if (s === "accepted" || s === "suspended") {
      out.push(action("extend", L.extend, [input("days", L.days, { inputmode: "numeric", pattern: "[0-9]*", size: "4" }), reason()],
        (form) => ({ days: number(value(form, "days")), reason: value(form, "reason") }), c, reload));
    }
    if (s === "accepted") out.push(action("suspend", L.suspend, [reason()], withReason, c, reload));
    if (s === "submitted" || (s === "materials_requested" && !c.accepted_on)) {
      // A refusal names its legal basis (docs/api.md, "Cases"), the item's by default.
      out.push(action("reject-acceptance", L["reject-acceptance"], [reason(),
        input("legal_basis", L.legal_basis, { rows: 2, maxlength: "2000", value: it.legal_basis || "" })],
        (form) => ({ reason: value(form, "reason"), legal_basis: value(form, "legal_basis") }), c, reload));
    }
    if (OPEN.includes(s)) {
      out.push(action("assign", L.assign, [input("clerk_sub", L.clerk_sub, { value: c.assigned_to || me.sub, maxlength: "200" })],
        (form) => ({ clerk_sub: value(form, "clerk_sub") }), c, reload));
    }
    return out;
  }

  document.addEventListener("case:loaded", async (event) => {
    const { case: c, reload } = event.detail;
    const me = P.session.get() || {};
    if (me.role !== "citizen" && me.role !== "clerk") { box.hidden = true; return; }
    const it = await item(c.item.code);
    const actions = me.role === "citizen" ? citizenActions(c, reload, it) : clerkActions(c, reload, it, me);
    box.dataset.version = String(c.version);
    list.replaceChildren(...(actions.length ? actions : [el("p", { class: "muted" }, L.nothing)]));
    box.hidden = false;
  });
})();
