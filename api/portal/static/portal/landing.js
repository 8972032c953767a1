/* The landing page's browsing: how many services each department and level offers (the
 * catalogue's facets) and the services most applied for lately (GET /catalog/popular). The
 * life and business events are links the server renders from api/portal/life_events.toml. */
(function () {
  "use strict";
  const { S, api, el, fmt, departmentName, money } = window.Portal;
  const L = window.Portal.labels("landing-labels");
  const REGIONS = Object.fromEntries(JSON.parse(document.getElementById("portal-regions").textContent));

  async function counts() {
    const answer = await api("/catalog/items", { params: { size: 1 }, auth: false });
    const by = (facet) => Object.fromEntries(answer.facets[facet].map((f) => [f.value, f.count]));
    const departments = by("department");
    document.querySelectorAll("#departments [data-department]").forEach((li) => {
      const n = departments[li.dataset.department] || 0;
      li.hidden = n === 0;
      li.querySelector("[data-count]").textContent = "(" + n + ")";
    });
    const levels = by("level");
    document.querySelectorAll("#levels [data-level]").forEach((a) => {
      a.querySelector("[data-count]").textContent = "(" + (levels[a.dataset.level] || 0) + ")";
    });
  }

  async function popular() {
    const list = document.getElementById("popular");
    try {
      const answer = await api("/catalog/popular", { params: { size: 8 }, auth: false });
      if (!answer.items.length) { list.replaceChildren(el("li", { class: "muted" }, L.none_popular)); return; }
      list.replaceChildren(...answer.items.map((i) => el("li", { "data-code": i.code },
        el("a", { href: "/items/" + encodeURIComponent(i.code) }, i.name),
        el("span", { class: "muted small" }, " · " + (REGIONS[i.region_code] || i.region_code) + " · " + departmentName(i.department) + " · " + fmt(S.ui.applications_n, { n: i.applications }) +
          (i.fee_fen ? " · " + money(i.fee_fen) : "")))));
    } catch (err) {
      list.replaceChildren(el("li", { class: "muted" }, window.Portal.errorMessage(err)));
    }
  }

  counts().catch(() => { /* the links work without their counts */ });
  popular();
})();
