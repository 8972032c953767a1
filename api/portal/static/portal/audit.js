/* Audit (auditor): a stream's events from the event store with actor, payload and hashes;
 * the aggregate replayed to any event; verification of the hash chain. */
(function () {
  "use strict";
  const P = window.Portal;
  const { S, api, el, when, fmt, roleName, showError, requireRole } = P;
  const L = P.labels("audit-labels");
  const gate = document.getElementById("audit-gate");
  const root = document.getElementById("audit");
  const form = document.getElementById("stream-form");
  const input = document.getElementById("stream");
  const events = document.getElementById("events");
  const result = document.getElementById("verify-result");
  const verifyStream = document.getElementById("verify-stream");
  const verifyAll = document.getElementById("verify-all");
  const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
  const CASE_NUMBER = /^SC-\d{4}-\d{6}-\d{8}$/;
  let current = null;

  function short(hash) {
    if (!hash) return "—";
    return el("code", { class: "hash", title: hash }, hash.replace(/^(\w+:)?(.{10}).*$/, "$1$2…"));
  }

  async function resolve(ref) {
    if (UUID.test(ref)) return ref.toLowerCase();
    if (CASE_NUMBER.test(ref)) return (await api("/cases/" + encodeURIComponent(ref))).case_id;
    const found = await api("/search", { params: { q: ref, size: 5 } });
    const hit = found.hits.find((h) => UUID.test(h.id));
    if (!hit) throw new P.ApiError(404, {});
    return hit.id;
  }

  /* The aggregate replayed to `version`, shown in a row right under that event's row. */
  async function showState(version) {
    document.querySelectorAll("tr.state-row").forEach((tr) => tr.remove());
    document.querySelectorAll("tr.selected").forEach((tr) => tr.classList.remove("selected"));
    const eventRow = document.getElementById("v" + version);
    const panel = el("div", { id: "state", tabindex: "-1", "aria-live": "polite" }, el("p", { class: "muted" }, S.ui.loading));
    const row = el("tr", { class: "state-row" }, el("td", { colspan: "8" }, panel));
    eventRow.classList.add("selected");
    eventRow.after(row);
    try {
      const s = await api("/audit/streams/" + current + "/state", { params: { version } });
      panel.replaceChildren(
        el("div", { class: "state-head" },
          el("h2", { id: "state-h" }, fmt(S.ui.state_at, { version: s.version })),
          el("button", { type: "button", class: "secondary small", "aria-label": S.ui.close, onclick: () => { row.remove(); eventRow.classList.remove("selected"); eventRow.querySelector("button[data-state-version]").focus(); } }, "×")),
        el("p", { class: "muted" }, s.aggregate_type + " · " + when(s.occurred_at) + " · #" + s.position),
        el("pre", { class: "json", id: "state-json", tabindex: "0" }, JSON.stringify(s.state, null, 2)));
      panel.focus();
    } catch (err) { showError(panel, err); }
  }

  function renderEvents(answer) {
    const rows = answer.items.map((e) => ({
      attrs: { "data-version": String(e.version), id: "v" + e.version },
      cells: [
        String(e.position), String(e.version),
        el("span", {}, el("strong", {}, S.steps[e.event_type] || e.event_type), el("br"), el("code", { class: "small" }, e.event_type)),
        when(e.occurred_at),
        roleName(e.actor.role) + (e.actor.subject ? " · " + e.actor.subject : ""),
        el("details", {}, el("summary", {}, L.payload), el("pre", { class: "json" }, JSON.stringify(e.data, null, 2))),
        el("span", { class: "hashes" }, L.prev + " ", short(e.prev_hash), el("br"), L.hash + " ", short(e.hash)),
        el("button", { type: "button", class: "secondary small", "data-state-version": String(e.version), onclick: () => showState(e.version) }, L.state_button),
      ],
    }));
    events.replaceChildren(el("h2", {}, fmt(S.ui.events_total, { n: answer.total }), " ", el("code", { class: "small" }, current)),
      P.table(L.event, [L.position, L.version, L.event, L.time, L.actor, L.payload, L.hashes, ""], rows));
  }

  async function open(ref) {
    events.replaceChildren(el("p", { class: "muted" }, S.ui.loading));
    result.replaceChildren();
    verifyStream.disabled = true;
    try {
      current = await resolve(ref);
      history.replaceState(null, "", "/audit/" + current);
      renderEvents(await api("/audit/streams/" + current + "/events"));
      verifyStream.disabled = false;
    } catch (err) {
      current = null;
      if (err instanceof P.ApiError && err.status === 404) events.replaceChildren(el("p", { class: "notice" }, L.no_such));
      else showError(events, err);
    }
  }

  function renderVerdict(v) {
    document.querySelectorAll("tr.tampered").forEach((tr) => tr.classList.remove("tampered"));
    const items = [];
    if (v.ok) {
      items.push(el("p", { class: "verdict-line" }, el("strong", {}, "✔ " + fmt(S.ui.chain_ok, { checked: v.checked }))));
    } else {
      items.push(el("p", { class: "verdict-line" }, el("strong", {}, "✘ " + fmt(S.ui.chain_broken, { count: v.broken.length }))));
      items.push(el("ul", { id: "broken-list" }, v.broken.map((b) => el("li", {}, fmt(S.ui.chain_broken_at, { version: b.version, id: b.aggregate_id })))));
      v.broken.filter((b) => b.aggregate_id === current).forEach((b) => {
        const tr = document.getElementById("v" + b.version);
        if (tr) {
          tr.classList.add("tampered");
          tr.cells[2].append(el("span", { class: "badge badge-tampered" }, S.ui.tampered_row));
        }
      });
    }
    if (v.checkpoint) items.push(el("p", {}, v.checkpoint.ok ? S.ui.checkpoint_ok : S.ui.checkpoint_bad));
    result.replaceChildren(el("div", { class: "verdict " + (v.ok ? "verdict-valid" : "verdict-revoked"), "data-ok": v.ok ? "true" : "false", id: "chain-verdict" }, items));
  }

  async function verify(aggregateId) {
    result.replaceChildren(el("p", { class: "muted" }, S.ui.loading));
    try {
      renderVerdict(await api("/audit/verify", { params: { aggregate_id: aggregateId } }));
    } catch (err) { showError(result, err); }
  }

  if (requireRole(gate, ["auditor"])) {
    root.hidden = false;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (input.value.trim()) open(input.value.trim());
    });
    verifyStream.addEventListener("click", () => current && verify(current));
    verifyAll.addEventListener("click", () => verify(undefined));
    if (input.value.trim()) open(input.value.trim());
  }
})();
