/* The clerk's workbench: the open cases of their department and region (GET /worklist),
 * the overdue ones first, then the rest soonest statutory deadline first; each opens the case
 * page with the actions its status allows. */
(function () {
  "use strict";
  const P = window.Portal;
  const { S, api, el, badge, when, day, fmt, showError, requireRole, table } = P;
  const L = P.labels("work-labels");
  const SIZE = 25;
  const params = new URLSearchParams(location.search);
  const form = document.getElementById("work-filters");
  if (params.get("status")) form.elements.status.value = params.get("status");
  form.elements.assigned_to.checked = params.get("assigned_to") === "me";

  function rows(items) {
    return items.map((c) => ({
      attrs: { "data-case": c.case_id, class: c.overdue ? "overdue" : "" },
      cells: [el("a", { href: "/work/cases/" + c.case_id, class: "ident" }, c.case_number), c.title,
        c.applicant ? c.applicant.name : "—",
        el("span", { class: "flags" }, badge(c.status), c.overdue ? el("span", { class: "badge badge-overdue" }, S.ui.overdue) : null),
        c.statutory_due ? day(c.statutory_due) : el("span", { class: "muted" }, L.not_running),
        when(c.submitted_at), c.assigned_to || "—"],
    }));
  }

  function pager(total, page) {
    const pages = Math.max(1, Math.ceil(total / SIZE));
    if (pages === 1) return null;
    const link = (n, text) => { const next = new URLSearchParams(params); next.set("page", String(n)); return el("a", { href: "/work?" + next }, text); };
    return el("nav", { class: "pager", "aria-label": L.pages }, page > 1 ? link(page - 1, L.prev) : null,
      el("span", {}, fmt(S.ui.page_of, { page, pages })), page < pages ? link(page + 1, L.next) : null);
  }

  async function part(id, overdue, page) {
    const section = document.getElementById(id);
    const target = section.querySelector(".body");
    target.replaceChildren(el("p", { class: "muted" }, S.ui.loading));
    try {
      const answer = await api("/worklist", { params: { status: params.get("status"), assigned_to: params.get("assigned_to"), overdue, page, size: SIZE } });
      section.querySelector(".count").textContent = "(" + answer.total + ")";
      target.replaceChildren(answer.items.length
        ? el("div", {}, table(section.querySelector("h2").firstChild.textContent.trim(),
            [L.number, L.service, L.applicant, L.status, L.deadline, L.submitted, L.assigned], rows(answer.items), { stack: true }), pager(answer.total, page))
        : el("p", { class: "muted" }, L.none));
    } catch (err) {
      showError(target, err);
    }
  }

  const current = requireRole(document.getElementById("work-gate"), ["clerk"]);
  if (current) {
    document.getElementById("work").hidden = false;
    const claims = JSON.parse(atob(current.token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
    document.getElementById("work-scope").textContent = fmt(S.ui.work_scope, { department: P.departmentName(claims.department), region: claims.region_code });
    const page = Math.max(1, Number(params.get("page")) || 1);
    part("overdue", "true", 1);
    part("queue", "false", page);
  }
})();
