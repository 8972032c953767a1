/* The service guide (办事指南) of one item: GET /catalog/items/{code}, readable without signing
 * in, with the link to apply online. */
(function () {
  "use strict";
  const P = window.Portal;
  const { S, api, el, fmt, money, day, departmentName, showError } = P;
  const L = P.labels("guide-labels");
  const REGIONS = Object.fromEntries(JSON.parse(document.getElementById("portal-regions").textContent));
  const root = document.getElementById("guide");
  const code = root.dataset.code;

  function row(label, value) { return [el("dt", {}, label), el("dd", {}, value || "—")]; }
  function text(value) {
    return value ? el("div", { class: "prose" }, value.split(/\n+/).map((line) => el("p", {}, line))) : el("p", { class: "muted" }, L.none_given);
  }

  function render(i) {
    document.title = i.name + " · " + L.guide;
    const open = i.status === "published";
    const apply = open
      ? el("div", { class: "apply-box" },
          el("a", { class: "button", href: "/items/" + encodeURIComponent(i.code) + "/apply", id: "apply-link" }, L.apply),
          el("p", { class: "muted small" }, L.apply_note))
      : el("p", { class: "notice error", role: "status" }, L.withdrawn);
    const facts = el("dl", { class: "facts" },
      row(L.code, el("span", { class: "ident" }, i.code)),
      row(L.type, S.item_types[i.item_type] || i.item_type),
      row(L.department, departmentName(i.department)),
      row(L.region, (REGIONS[i.region_code] || i.region_code) + " (" + (L[i.level] || i.level) + ")"),
      row(L.statutory, fmt(S.ui.working_days, { n: i.statutory_days })),
      row(L.promised, fmt(S.ui.working_days, { n: i.promised_days })),
      row(L.fee, i.fee_fen ? money(i.fee_fen) : L.free),
      row(L.licence, i.licence_type ? i.licence_type + (i.licence_valid_days ? " (" + fmt(S.ui.valid_days, { n: i.licence_valid_days }) + ")" : "") : L.no_licence));
    const materials = i.materials.length
      ? P.table(L.materials, [L.material, L.needed], i.materials.map((m) => ({ attrs: { "data-material": m.code },
          cells: [m.name, m.required ? el("strong", {}, L.required) : L.optional] })))
      : el("p", { class: "muted" }, L.none_given);
    root.replaceChildren(
      el("h1", {}, i.name),
      el("p", { class: "flags" }, P.badge(i.status), el("span", { class: "muted small" }, fmt(S.ui.revision, { n: i.revision, date: day(i.published_at) }))),
      el("div", { class: "grid2" }, el("section", { "aria-label": L.guide, class: "card-box" }, facts), el("section", { "aria-label": L.apply, class: "card-box" }, apply)),
      el("section", { "aria-labelledby": "conditions-h" }, el("h2", { id: "conditions-h" }, L.conditions), text(i.conditions)),
      el("section", { "aria-labelledby": "materials-h" }, el("h2", { id: "materials-h" }, L.materials), materials),
      el("section", { "aria-labelledby": "steps-h" }, el("h2", { id: "steps-h" }, L.steps),
        i.steps.length ? el("ol", { class: "steps" }, i.steps.map((s) => el("li", {}, s))) : el("p", { class: "muted" }, L.none_given)),
      el("section", { "aria-labelledby": "basis-h" }, el("h2", { id: "basis-h" }, L.legal_basis), text(i.legal_basis)));
  }

  api("/catalog/items/" + encodeURIComponent(code), { auth: false }).then(render).catch((err) => showError(root, err));
})();
