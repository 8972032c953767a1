/* Verify a licence (public): GET /licences/{number}/verify, no token. The page's own
 * address /verify/<number> is what a QR code on the licence points at. */
(function () {
  "use strict";
  const P = window.Portal;
  const { S, api, el, badge, day, when, departmentName, showError } = P;
  const L = P.labels("verify-labels");
  const form = document.getElementById("verify-form");
  const input = document.getElementById("number");
  const verdict = document.getElementById("verdict");

  function row(label, value) { return [el("dt", {}, label), el("dd", {}, value || "—")]; }

  async function check(number) {
    verdict.replaceChildren(el("p", { class: "muted" }, S.ui.loading));
    try {
      const v = await api("/licences/" + encodeURIComponent(number) + "/verify", { auth: false });
      const pageLink = window.location.origin + "/verify/" + encodeURIComponent(v.licence_number);
      verdict.replaceChildren(el("section", { class: "verdict verdict-" + v.state, "data-state": v.state, "aria-labelledby": "verdict-h" },
        el("h2", { id: "verdict-h" }, badge(v.state, "big"), " ", S.ui.licence_state[v.state] || v.state),
        v.state === "unknown" ? null : el("dl", { class: "facts" },
          row(L.number, el("span", { class: "ident" }, v.licence_number)),
          row(L.licence_type, v.licence_type),
          row(L.item, v.item && v.item.name),
          row(L.department, v.department && departmentName(v.department)),
          row(L.holder, v.holder && el("span", { id: "holder" }, v.holder.name)),
          row(L.valid_from, day(v.valid_from)),
          row(L.valid_until, v.valid_until ? day(v.valid_until) : S.ui.no_expiry),
          row(L.checked_at, when(v.checked_at)),
          row(L.link, el("a", { href: pageLink }, pageLink)))));
    } catch (err) {
      showError(verdict, err);
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const number = input.value.trim();
    if (!number) return;
    history.replaceState(null, "", "/verify/" + encodeURIComponent(number));
    check(number);
  });
  if (input.value.trim()) check(input.value.trim());
})();
