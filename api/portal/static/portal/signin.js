/* Development sign-in: pick a real party of the seeded data (GET /portal/dev/people) and
 * mint a token with POST /api/v1/dev/tokens; the token lives in sessionStorage. */
(function () {
  "use strict";
  const P = window.Portal;
  const { S, api, el, showError, departmentName } = P;
  const status = document.getElementById("signin-status");
  const citizens = document.getElementById("pick-citizen");
  const clerks = document.getElementById("pick-clerk");
  const HOME = { citizen: "/me", clerk: "/", auditor: "/audit", analyst: "/dashboard" };
  /* Where to go after signing in: `next` as the server checked it (a path on this site, or ""
   * for the role's home). Checked again here, as the redirect happens here: one leading slash,
   * never followed by another or a backslash (a browser reads both as `//host`), and no control
   * character (a browser drops tabs and newlines, so `/<tab>/host` would become `//host`). */
  const next = document.getElementById("signin-forms").dataset.next || "";
  const SAME_SITE_PATH = /^\/(?![\/\\])[^\u0000-\u001f\u007f]*$/;
  let people = null;

  function fill(select, items, label) {
    select.replaceChildren(...items.map((item, i) => el("option", { value: String(i) }, label(item))));
  }

  async function load() {
    try {
      const response = await fetch("/portal/dev/people", { headers: { Accept: "application/json" } });
      if (!response.ok) throw new P.ApiError(response.status, {});
      people = await response.json();
      fill(citizens, people.citizens, (c) => c.name + " · …" + c.party_id.slice(-4) + " · " + (S.ui.notes[c.note] || c.note));
      fill(clerks, people.clerks, (c) => departmentName(c.department) + " · " + c.region_code);
    } catch (err) {
      showError(status, err);
    }
  }

  function claims(role) {
    if (role === "citizen") {
      const c = people && people.citizens[Number(citizens.value)];
      return c && { body: { role, party_id: c.party_id }, label: c.name };
    }
    if (role === "clerk") {
      const c = people && people.clerks[Number(clerks.value)];
      return c && { body: { role, sub: c.sub, department: c.department, region_code: c.region_code }, label: c.sub };
    }
    const sub = role + "-demo";
    return { body: { role, sub }, label: sub };
  }

  document.querySelectorAll("form[data-role]").forEach((form) => form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const role = form.dataset.role;
    const chosen = claims(role);
    if (!chosen) { status.replaceChildren(el("p", { class: "notice error" }, S.ui.pick_someone)); return; }
    try {
      const minted = await api("/dev/tokens", { method: "POST", body: chosen.body, auth: false });
      P.session.set({ token: minted.token, role: minted.role, sub: minted.sub, label: chosen.label,
                      party_id: chosen.body.party_id || null });
      window.location.assign(SAME_SITE_PATH.test(next) ? next : HOME[role]);
    } catch (err) {
      showError(status, err);
    }
  }));
  load();
})();
