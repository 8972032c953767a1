/* The catalogue by department, level, region, words or a life/business event
 * (GET /catalog/items). An event lists the items carrying the standard names the grouping
 * file gives it (api/portal/life_events.toml), found by name in the chosen region. */
(function () {
  "use strict";
  const P = window.Portal;
  const { api, el, fmt, money, departmentName, showError } = P;
  const L = P.labels("items-labels");
  const EVENTS = JSON.parse(document.getElementById("portal-events").textContent);
  const REGIONS = Object.fromEntries(JSON.parse(document.getElementById("portal-regions").textContent));
  const SIZE = 20;
  const out = document.getElementById("items");
  const params = new URLSearchParams(location.search);
  const form = document.getElementById("items-filters");
  ["q", "event", "department", "level", "region_code"].forEach((k) => {
    const field = form.elements[k];
    if (field && params.get(k)) field.value = params.get(k);
  });

  function card(i) {
    return el("li", { class: "result", "data-code": i.code },
      el("div", { class: "result-head" }, el("h2", { class: "h3" }, el("a", { href: "/items/" + encodeURIComponent(i.code) }, i.name)),
        el("span", { class: "badge" }, L[i.level] || i.level)),
      el("p", { class: "meta" }, departmentName(i.department), " · ", REGIONS[i.region_code] || i.region_code, " · ",
        fmt(P.S.ui.working_days, { n: i.promised_days }), " · ", i.fee_fen ? L.fee + " " + money(i.fee_fen) : L.free),
      el("p", { class: "meta" }, el("span", { class: "ident" }, i.code)));
  }

  function pager(total, page) {
    const pages = Math.max(1, Math.ceil(total / SIZE));
    if (pages === 1) return null;
    const link = (n, text, rel) => {
      const next = new URLSearchParams(params); next.set("page", String(n));
      return el("a", { href: "/items?" + next.toString(), rel }, text);
    };
    return el("nav", { class: "pager", "aria-label": L.pages },
      page > 1 ? link(page - 1, L.prev, "prev") : null,
      el("span", {}, fmt(P.S.ui.page_of, { page, pages })),
      page < pages ? link(page + 1, L.next, "next") : null);
  }

  async function byEvent(event, region) {
    const answers = await Promise.all(event.items.map((name) =>
      api("/catalog/items", { params: { q: name, region_code: region, size: 100 }, auth: false })));
    const seen = new Map();
    // The standard name, alone or followed by its place in brackets ("企业设立登记(成都市)").
    const named = (item, name) => item.name === name || item.name.startsWith(name + "(") || item.name.startsWith(name + "（");
    answers.forEach((a, n) => a.items.filter((i) => named(i, event.items[n])).forEach((i) => seen.set(i.code, i)));
    return Array.from(seen.values());
  }

  async function load() {
    out.replaceChildren(el("p", { class: "muted" }, P.S.ui.loading));
    const event = EVENTS.find((e) => e.key === params.get("event"));
    const page = Math.max(1, Number(params.get("page")) || 1);
    let items, total;
    if (event) {
      document.getElementById("items-title").textContent = event.name;
      items = await byEvent(event, params.get("region_code"));
      total = items.length;
    } else {
      const answer = await api("/catalog/items", { auth: false, params: {
        q: params.get("q"), department: params.get("department"), level: params.get("level"),
        region_code: params.get("region_code"), page, size: SIZE } });
      items = answer.items; total = answer.total;
      if (params.get("department")) document.getElementById("items-title").textContent = departmentName(params.get("department"));
      else if (params.get("level")) document.getElementById("items-title").textContent = L[params.get("level")];
    }
    if (!items.length) { out.replaceChildren(el("p", { class: "notice" }, L.none)); return; }
    out.replaceChildren(...[el("p", { class: "muted", id: "items-count" }, fmt(P.S.ui.services_n, { n: total })),
      el("ul", { class: "results" }, items.map(card)), event ? null : pager(total, page)].filter(Boolean));
  }

  load().catch((err) => showError(out, err));
})();
