/* Verify a licence (public): GET /licences/{number}/verify?code=..., no token. The page's own
 * address /verify/<number>?code=<code> is what a QR code on the licence points at; the
 * number and the code, both printed on the licence, can also be typed in. Without the right
 * code the API answers as for an unknown number. */
(function () {
  "use strict";
  const P = window.Portal;
  const { S, api, el, badge, day, when, departmentName, showError } = P;
  const L = P.labels("verify-labels");
  const form = document.getElementById("verify-form");
  const input = document.getElementById("number");
  const codeInput = document.getElementById("code");
  const verdict = document.getElementById("verdict");

  function row(label, value) { return [el("dt", {}, label), el("dd", {}, value || "—")]; }

  function pagePath(number, code) {
    return "/verify/" + encodeURIComponent(number) + (code ? "?code=" + encodeURIComponent(code) : "");
  }

  async function check(number, code) {
    verdict.replaceChildren(el("p", { class: "muted" }, S.ui.loading));
    try {
      const v = await api("/licences/" + encodeURIComponent(number) + "/verify", { auth: false, params: { code } });
      // The code as issued (upper case), from the answer's verify_url once it matched.
      const issued = v.state === "unknown" ? code : new URL(v.verify_url).searchParams.get("code");
      const pageLink = window.location.origin + pagePath(v.licence_number, issued);
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
    const code = codeInput.value.trim();
    if (!number) return;
    history.replaceState(null, "", pagePath(number, code));
    check(number, code);
  });
  // From a QR code: the number in the path, the code in the query.
  codeInput.value = new URLSearchParams(window.location.search).get("code") || "";
  if (input.value.trim()) check(input.value.trim(), codeInput.value.trim());
})();
