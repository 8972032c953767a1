/* My messages (citizen): /me/notifications, newest first, with how each was delivered;
 * marking one read updates the unread badge in the navigation. */
(function () {
  "use strict";
  const P = window.Portal;
  const { api, el, when, showError, requireRole } = P;
  const L = P.labels("inbox-labels");
  const gate = document.getElementById("inbox-gate");
  const root = document.getElementById("inbox");
  const list = document.getElementById("inbox-list");
  const unreadOnly = document.getElementById("inbox-unread");

  function deliveries(n) {
    return el("p", { class: "muted small" }, n.deliveries.map((d) =>
      el("span", { class: "delivery", "data-channel": d.channel, "data-status": d.status },
        (L[d.channel] || d.channel) + ": " + (L["st_" + d.status] || d.status) + " ")));
  }

  function item(n) {
    const read = el("button", { type: "button", class: "link", "data-read": n.notification_id, onclick: async (e) => {
      e.currentTarget.disabled = true;
      try {
        await api("/me/notifications/" + n.notification_id + "/read", { method: "POST" });
        await load();
        window.PortalInbox.refresh();
      } catch (err) { showError(list, err); }
    } }, L.mark_read);
    return el("article", { class: "message" + (n.read_at ? "" : " unread"), "data-notification": n.notification_id, "data-kind": n.kind },
      el("h2", {}, n.read_at ? null : el("span", { class: "badge" }, L.unread), " ", n.title),
      el("p", {}, n.body),
      el("p", { class: "muted small" }, when(n.created_at), n.case_id ? [" · ", el("a", { href: "/cases/" + n.case_id }, n.case_id.slice(0, 8))] : null),
      deliveries(n),
      n.read_at ? null : read);
  }

  async function load() {
    try {
      const page = await api("/me/notifications", { params: { size: 50, unread: unreadOnly.checked ? "true" : undefined } });
      list.replaceChildren(page.items.length ? el("div", {}, page.items.map(item)) : el("p", { class: "muted" }, L.nothing));
    } catch (err) { showError(list, err); }
  }

  if (requireRole(gate, ["citizen"])) {
    root.hidden = false;
    unreadOnly.addEventListener("change", load);
    load();
  }
})();
