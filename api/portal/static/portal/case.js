/* A case page: GET /cases/{case_id or case number}: status, deadlines and overdue state,
 * timeline, payments and licence. */
(function () {
  "use strict";
  const P = window.Portal;
  const { S, api, el, badge, when, day, money, fmt, departmentName, roleName, showError, requireRole } = P;
  const L = P.labels("case-labels");
  const root = document.getElementById("case");
  const ref = root.dataset.ref;

  function row(label, value) {
    return [el("dt", {}, label), el("dd", {}, value === undefined || value === null || value === "" ? "—" : value)];
  }

  /* {law, article} as it is cited: 《中华人民共和国食品安全法》第三十五条 */
  function legalBasis(basis) {
    return "《" + basis.law + "》" + (basis.article || "");
  }

  function payButton(payment, reload) {
    const current = P.session.get();
    if (!P.devEnabled || !current || current.role !== "citizen" || payment.status !== "requested") return null;
    return el("button", { type: "button", class: "pay", onclick: async (e) => {
      e.target.disabled = true; e.target.textContent = S.ui.paying;
      try {
        const done = await api("/dev/pay/" + payment.payment_id, { method: "POST" });
        reload(done.position);
      } catch (err) { showError(root, err); }
    } }, fmt(S.ui.pay, { amount: money(payment.amount_fen) }));
  }

  function render(c, item, reload) {
    const flags = el("p", { class: "flags" }, badge(c.status, "big"),
      c.overdue ? el("span", { class: "badge badge-overdue", "data-flag": "overdue" }, S.ui.overdue) : null,
      !c.overdue && c.past_promised ? el("span", { class: "badge badge-late", "data-flag": "past-promised" }, S.ui.past_promised) : null);
    const running = ["accepted", "materials_requested"].includes(c.status) && c.statutory_due;
    const deadline = el("section", { class: "deadline" + (c.overdue ? " is-overdue" : ""), "aria-labelledby": "deadline-h" },
      el("h2", { id: "deadline-h" }, L.deadline),
      el("dl", { class: "facts" },
        row(L.promised_due, day(c.promised_due)),
        row(L.statutory_due, c.statutory_due ? el("span", { id: "statutory-due" }, day(c.statutory_due), c.overdue ? el("strong", { class: "overdue-text" }, " · " + S.ui.overdue) : "") : null),
        c.extended_days ? row(L.extended_days, String(c.extended_days)) : [],
        c.suspended_on ? row(L.suspended_on, day(c.suspended_on)) : []),
      el("p", { class: "muted" }, running ? L.running : (["approved", "rejected", "refused", "withdrawn"].includes(c.status) ? L.concluded : "")));

    const facts = el("dl", { class: "facts" },
      row(L.number, el("span", { class: "ident", id: "case-number" }, c.case_number)),
      row(L.applicant, c.applicant ? c.applicant.name : null),
      row(L.department, departmentName(c.department)),
      row(L.channel, c.channel),
      row(L.submitted_at, when(c.submitted_at)),
      row(L.accepted_on, day(c.accepted_on)),
      c.decision ? row(L.decision, [S.status[c.decision.outcome] || c.decision.outcome, c.decision.reasons ? " — " + c.decision.reasons : ""].join("")) : [],
      c.decision && c.decision.legal_basis ? row(L.legal_basis, el("span", { id: "legal-basis" }, legalBasis(c.decision.legal_basis))) : []);

    const timeline = el("section", { "aria-labelledby": "timeline-h" }, el("h2", { id: "timeline-h" }, L.timeline),
      el("ol", { class: "timeline", id: "timeline" }, (c.timeline || []).map((s) => el("li", { "data-step": s.step },
        el("span", { class: "step" }, S.steps[s.step] || s.step),
        el("time", { datetime: s.at }, when(s.at)),
        el("span", { class: "role" }, roleName(s.role))))));

    const payments = el("section", { "aria-labelledby": "payments-h" }, el("h2", { id: "payments-h" }, L.payments),
      c.payments.length ? P.table(L.payments, [L.kind, L.amount, L.status, L.due_date, L.settled_at, ""],
        c.payments.map((p) => ({ attrs: { "data-payment": p.payment_id }, cells: [S.kinds[p.kind] || p.kind, money(p.amount_fen), badge(p.status), day(p.due_date), when(p.settled_at), payButton(p, reload)] })))
        : el("p", { class: "muted" }, L.no_payments));

    const licence = el("section", { "aria-labelledby": "licence-h" }, el("h2", { id: "licence-h" }, L.licence),
      c.licence ? el("p", {}, el("a", { href: "/verify/" + encodeURIComponent(c.licence.licence_number) + (c.licence.verification_code ? "?code=" + encodeURIComponent(c.licence.verification_code) : ""), class: "ident" }, c.licence.licence_number), " ",
        badge(c.licence.state), c.licence.valid_until ? " " + S.ui.valid_until + " " + day(c.licence.valid_until) : "",
        c.licence.verification_code ? el("span", { class: "muted", "data-code": c.licence.verification_code }, " " + S.ui.verification_code + " " + c.licence.verification_code) : "")
        : el("p", { class: "muted" }, L.no_licence));

    // The item's materials (names from the catalogue), which were given, which are missing.
    const materialRows = (item.materials || []).map((m) => ({ attrs: { "data-material": m.code }, cells: [m.name,
      c.materials.includes(m.code) ? L.given : (m.required ? el("strong", {}, L.missing) : "—"),
      c.requested_materials.includes(m.code) ? el("span", { class: "badge badge-materials_requested" }, L.requested) : ""] }));
    const materials = materialRows.length ? el("section", { "aria-labelledby": "materials-h" }, el("h2", { id: "materials-h" }, L.materials),
      P.table(L.materials, [L.material, L.given_h, L.requested_h], materialRows)) : null;

    const rating = c.rating ? el("p", {}, L.rating + ": " + fmt(S.ui.rating, { score: c.rating.score }) + (c.rating.comment ? " — " + c.rating.comment : "")) : null;

    root.replaceChildren(...[
      el("h1", {}, (c.item && c.item.name) || L.number),
      flags,
      el("div", { class: "grid2" }, el("section", { "aria-label": L.number }, facts), deadline),
      materials, timeline, payments, licence, rating].filter(Boolean));
  }

  const items = {};
  function itemOf(code) {
    if (!items[code]) items[code] = api("/catalog/items/" + encodeURIComponent(code), { auth: false }).catch(() => ({ materials: [] }));
    return items[code];
  }

  async function load(position) {
    try {
      const c = await api("/cases/" + encodeURIComponent(ref), { params: { consistent_after: position } });
      const item = await itemOf(c.item.code);
      render(c, item, load);
      // The actions (case-actions.js) follow the case as it is now.
      document.dispatchEvent(new CustomEvent("case:loaded", { detail: { case: c, reload: load } }));
    } catch (err) {
      showError(root, err);
    }
  }

  // `?after=<position>`: the page opened right after a command (an application just filed)
  // waits until the read models show it.
  const after = Number(new URLSearchParams(location.search).get("after"));
  if (requireRole(root, null)) load(after > 0 ? after : undefined);
})();
