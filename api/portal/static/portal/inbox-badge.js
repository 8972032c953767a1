/* The unread messages badge on the navigation link, for a signed-in citizen on every page. */
(function () {
  "use strict";
  const P = window.Portal;
  const badge = document.getElementById("inbox-badge");

  async function refresh() {
    const current = P.session.get();
    if (!badge || !current || !current.token || current.role !== "citizen") return;
    try {
      const page = await P.api("/me/notifications", { params: { size: 1 } });
      badge.textContent = page.unread > 0 ? String(page.unread) : "";
      badge.hidden = page.unread === 0;
    } catch (err) {
      badge.hidden = true;
    }
  }

  window.PortalInbox = { refresh };
  refresh();
})();
