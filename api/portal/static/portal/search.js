/* Find any result: signed in, GET /search (scoped to the caller); anonymous, the public
 * catalogue (GET /catalog/items) and public licence verification. Results grouped by type. */
(function () {
  "use strict";
  const { S, api, el, badge, highlight, departmentName, when, fmt, showError, session, money } = window.Portal;
  const ORDER = ["case", "payment", "licence", "violation", "item"];
  const form = document.getElementById("search-form");
  const input = document.getElementById("q");
  const results = document.getElementById("results");
  const hint = document.getElementById("search-hint");

  function link(hit) {
    if (hit.type === "case") return "/cases/" + encodeURIComponent(hit.id);
    if (hit.type === "licence") return "/verify/" + encodeURIComponent(hit.id);
    if (hit.type === "item") return "/items/" + encodeURIComponent(hit.id);
    if (hit.type === "payment" && (session.get() || {}).role === "citizen") return "/me#payments";
    return null;
  }

  function card(hit) {
    const href = link(hit);
    const title = hit.title || hit.id;
    const heading = el("h3", {}, href ? el("a", { href }, title) : title);
    const meta = el("p", { class: "meta" },
      el("span", { class: "ident" }, hit.number || hit.id),
      hit.department ? " · " + departmentName(hit.department) : "",
      hit.updated_at ? " · " + when(hit.updated_at) : "");
    const snippets = el("div", { class: "snippets" });
    const plain = (f) => String(f).replace(/<\/?em>/g, "").toLowerCase();
    const known = [hit.id, hit.number, hit.title].filter(Boolean).map((x) => String(x).toLowerCase());
    Object.values(hit.highlight || {}).flat().filter((f) => !known.includes(plain(f))).slice(0, 2)
      .forEach((f) => snippets.append(highlight(f)));
    return el("li", { class: "result", "data-type": hit.type, "data-id": hit.id },
      el("div", { class: "result-head" }, heading, badge(hit.status)), meta, snippets.childNodes.length ? snippets : null);
  }

  function render(groups, totals) {
    const sections = ORDER.filter((t) => (groups[t] || []).length);
    if (!sections.length) {
      results.replaceChildren(el("p", { class: "notice" }, S.ui.no_results));
      return;
    }
    results.replaceChildren(...sections.map((type) => el("section", { class: "group", "data-group": type, "aria-labelledby": "g-" + type },
      el("h2", { id: "g-" + type }, S.types[type], " ", el("span", { class: "count" }, "(" + (totals[type] ?? groups[type].length) + ")")),
      el("ul", { class: "results" }, groups[type].map(card)))));
  }

  async function signedIn(q) {
    const answer = await api("/search", { params: { q, size: 50 } });
    const groups = {};
    answer.hits.forEach((h) => (groups[h.type] = groups[h.type] || []).push(h));
    const totals = {};
    (answer.facets.type || []).forEach((f) => { totals[f.value] = f.count; });
    render(groups, totals);
  }

  async function anonymous(q) {
    const [catalogue, licence] = await Promise.all([
      api("/catalog/items", { params: { q, size: 20 }, auth: false }),
      /^[\w-]{6,64}$/.test(q) && /\d/.test(q) ? api("/licences/" + encodeURIComponent(q) + "/verify", { auth: false }).catch(() => null) : null,
    ]);
    const groups = {
      item: catalogue.items.map((i) => ({
        type: "item", id: i.code, title: i.name, status: i.status, department: i.department,
        highlight: { fee: [i.fee_fen ? money(i.fee_fen) : ""].filter(Boolean) },
      })),
    };
    if (licence && licence.state !== "unknown") {
      groups.licence = [{ type: "licence", id: licence.licence_number, title: licence.licence_type || (licence.item || {}).name,
        status: licence.state, department: licence.department }];
    }
    render(groups, { item: catalogue.total });
  }

  async function run(q) {
    results.replaceChildren(el("p", { class: "muted" }, S.ui.loading));
    const current = session.get();
    hint.hidden = !!(current && current.token);
    try {
      if (current && current.token) await signedIn(q);
      else await anonymous(q);
    } catch (err) {
      showError(results, err);
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const q = input.value.trim();
    if (!q) return;
    history.replaceState(null, "", "/?q=" + encodeURIComponent(q));
    run(q);
  });

  const initial = new URLSearchParams(location.search).get("q");
  const current = session.get();
  hint.hidden = !!(current && current.token);
  if (initial) {
    input.value = initial;
    run(initial.trim());
  }
})();
