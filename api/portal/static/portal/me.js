/* My records (citizen): /me/cases, /me/payments (with the development pay button),
 * /me/licences, /me/violations, /me/credit and /me/access-log. */
(function () {
  "use strict";
  const P = window.Portal;
  const { S, api, el, badge, when, day, money, fmt, departmentName, roleName, showError, requireRole, table } = P;
  const L = P.labels("me-labels");
  const gate = document.getElementById("me-gate");
  const root = document.getElementById("me");
  const payStatus = document.getElementById("pay-status");

  function body(id) { return document.querySelector("#" + id + " .body"); }
  function empty() { return el("p", { class: "muted" }, L.nothing); }

  async function section(id, loader) {
    const target = body(id);
    target.replaceChildren(el("p", { class: "muted" }, S.ui.loading));
    try { target.replaceChildren(await loader()); } catch (err) { showError(target, err); }
  }

  /* What waits for the citizen: materials to supply, fees to pay, services to rate. */
  function todo(items, due) {
    const box = document.getElementById("todo");
    const entries = items.filter((c) => c.status === "materials_requested").map((c) => [c, L.todo_materials])
      .concat(items.filter((c) => ["approved", "rejected", "refused"].includes(c.status) && !c.rating).map((c) => [c, L.todo_rate]));
    const list = entries.map(([c, what]) => el("li", { "data-case": c.case_id },
      el("a", { href: "/cases/" + c.case_id }, what), " · " + c.title + " · ", el("span", { class: "ident" }, c.case_number)));
    if (due) list.unshift(el("li", {}, el("a", { href: "#payments" }, L.todo_pay)));
    box.querySelector("ul").replaceChildren(...list);
    box.hidden = !list.length;
  }

  async function cases(position) {
    const page = await api("/me/cases", { params: { size: 50, consistent_after: position } });
    const due = await api("/me/payments", { params: { size: 1, status: "requested" } }).then((p) => p.total > 0, () => false);
    todo(page.items, due);
    if (!page.items.length) return empty();
    return table(L.title, [L.number, L.title, L.status, L.submitted, L.deadline], page.items.map((c) => ({
      attrs: { "data-case": c.case_id },
      cells: [el("a", { href: "/cases/" + c.case_id, class: "ident" }, c.case_number), c.title, [badge(c.status), c.overdue ? el("span", { class: "badge badge-overdue" }, S.ui.overdue) : null],
        when(c.submitted_at), day(c.statutory_due)],
    })));
  }

  function payButton(p) {
    if (p.status !== "requested") return "";
    if (!P.devEnabled) return "";
    return el("button", { type: "button", class: "pay", "data-pay": p.payment_id, onclick: async (e) => {
      const button = e.currentTarget;
      button.disabled = true; button.textContent = S.ui.paying;
      try {
        const done = await api("/dev/pay/" + p.payment_id, { method: "POST" });
        payStatus.hidden = false; payStatus.textContent = S.ui.paid_ok;
        await Promise.all([section("payments", () => payments(done.position)), section("credit", () => credit(done.position))]);
      } catch (err) {
        payStatus.hidden = false; payStatus.textContent = P.errorMessage(err);
        button.disabled = false;
      }
    } }, fmt(S.ui.pay, { amount: money(p.amount_fen) }));
  }

  async function payments(position) {
    const page = await api("/me/payments", { params: { size: 50, consistent_after: position } });
    if (!page.items.length) return empty();
    const due = page.items.filter((p) => p.status === "requested");
    const rest = page.items.filter((p) => p.status !== "requested");
    const rows = due.concat(rest).map((p) => ({
      attrs: { "data-payment": p.payment_id, class: p.status === "requested" ? "due" : "" },
      cells: [p.title || (S.kinds[p.kind] || p.kind), money(p.amount_fen), [badge(p.status), p.overdue ? el("span", { class: "badge badge-overdue" }, S.ui.overdue) : null],
        day(p.due_date), payButton(p)],
    }));
    return el("div", {}, P.devEnabled && due.length ? el("p", { class: "muted small" }, L.dev_pay_note) : null,
      table(L.amount, [L.kind, L.amount, L.status, L.due_date, L.action], rows));
  }

  async function licences() {
    const page = await api("/me/licences", { params: { size: 50 } });
    if (!page.items.length) return empty();
    return table(L.licence_number, [L.licence_number, L.title, L.status, L.valid_until], page.items.map((l) => ({
      // The holder's own link carries the verification code, as the QR code on the licence does.
      cells: [[el("a", { href: "/verify/" + encodeURIComponent(l.licence_number) + (l.verification_code ? "?code=" + encodeURIComponent(l.verification_code) : ""), class: "ident" }, l.licence_number),
        l.verification_code ? el("div", { class: "muted small", "data-code": l.verification_code }, S.ui.verification_code + " " + l.verification_code) : null], l.title, badge(l.state),
        l.valid_until ? day(l.valid_until) : S.ui.no_expiry],
    })));
  }

  async function violations() {
    const page = await api("/me/violations", { params: { size: 50 } });
    if (!page.items.length) return empty();
    return table(L.description, [L.description, L.department, L.fine, L.status], page.items.map((v) => ({
      cells: [v.description, departmentName(v.department), money(v.fine_fen), badge(v.status)],
    })));
  }

  async function credit(position) {
    const c = await api("/me/credit", { params: { consistent_after: position } });
    const r = c.payment_record;
    return el("div", { class: "credit " + (c.good_standing ? "ok" : "bad") },
      el("p", { class: "verdict-line" }, el("strong", {}, c.good_standing ? S.ui.good_standing : S.ui.not_good_standing)),
      el("ul", {},
        el("li", {}, fmt(S.ui.unpaid_fines, { count: c.unpaid_overdue_fines.count, amount: money(c.unpaid_overdue_fines.amount_fen) })),
        el("li", {}, fmt(S.ui.revoked_licences, { count: c.revoked_licences.count })),
        el("li", {}, fmt(S.ui.payment_record, { on_time: r.on_time, settled: r.settled }))));
  }

  async function access() {
    const page = await api("/me/access-log", { params: { size: 50 } });
    if (!page.items.length) return empty();
    return table(L.who, [L.when, L.who, L.department, L.endpoint], page.items.map((a) => ({
      cells: [when(a.at), roleName(a.role) + (a.sub && a.role !== "public" ? " (" + a.sub + ")" : ""), a.department ? departmentName(a.department) : "—", el("code", {}, a.endpoint)],
    })));
  }

  if (requireRole(gate, ["citizen"])) {
    root.hidden = false;
    section("cases", () => cases());
    section("payments", () => payments());
    section("licences", licences);
    section("violations", violations);
    section("credit", () => credit());
    section("access", access);
  }
})();
