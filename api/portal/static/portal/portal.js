/* Casetrack portal: what every page shares. Pages call the JSON API (/api/v1) with the
 * bearer token kept in sessionStorage; nothing here holds records of its own. */
(function () {
  "use strict";

  const S = JSON.parse(document.getElementById("portal-strings").textContent);
  const LANG = document.documentElement.lang || "zh-Hans";
  const KEY = "casetrack.session";

  const session = {
    get() {
      try { return JSON.parse(sessionStorage.getItem(KEY)); } catch (e) { return null; }
    },
    set(value) { sessionStorage.setItem(KEY, JSON.stringify(value)); },
    clear() { sessionStorage.removeItem(KEY); },
  };

  function fmt(template, values) {
    return String(template).replace(/%\((\w+)\)s/g, (_, k) => (values[k] === undefined || values[k] === null ? "" : values[k]));
  }

  class ApiError extends Error {
    constructor(status, problem) {
      super((problem && (problem.detail || problem.title)) || ("HTTP " + status));
      this.status = status;
      this.problem = problem || {};
    }
  }

  async function api(path, options) {
    const { method = "GET", params, body, auth = true, headers: extra } = options || {};
    const url = new URL("/api/v1" + path, window.location.origin);
    Object.entries(params || {}).forEach(([k, v]) => {
      if (v !== undefined && v !== null && v !== "") url.searchParams.set(k, v);
    });
    const headers = { Accept: "application/json", ...(extra || {}) };
    const current = session.get();
    if (auth && current && current.token) headers.Authorization = "Bearer " + current.token;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (e) {
      throw new ApiError(0, { detail: S.ui.unreachable });
    }
    const text = await response.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = { detail: "HTTP " + response.status }; }
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }

  /* el("p", {class: "x", text: "..."}, child, ...): elements without innerHTML. */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => {
      if (v === undefined || v === null || v === false) return;
      if (k === "text") node.textContent = v;
      else if (k === "class") node.className = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : v);
    });
    children.flat().forEach((c) => {
      if (c === undefined || c === null || c === false) return;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    });
    return node;
  }

  /* A search highlight: Elasticsearch wraps matches in <em>; everything else is escaped. */
  function highlight(fragment) {
    const span = el("span", { class: "snippet" });
    const escaped = String(fragment).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
    span.innerHTML = escaped.replace(/&lt;(\/?)em&gt;/g, "<$1mark>");
    return span;
  }

  function statusLabel(status) { return S.status[status] || status || "—"; }
  function badge(status, extraClass) {
    return el("span", { class: "badge badge-" + (status || "none") + (extraClass ? " " + extraClass : ""), "data-status": status || "" },
      statusLabel(status));
  }
  function departmentName(slug) { return S.departments[slug] || slug || "—"; }
  function roleName(role) { return S.roles[role] || role || "—"; }

  function money(fen) {
    if (fen === undefined || fen === null) return "—";
    return fmt(S.ui.yuan, { amount: (fen / 100).toLocaleString(LANG, { minimumFractionDigits: 2, maximumFractionDigits: 2 }) });
  }
  function when(iso) {
    if (!iso) return "—";
    const d = new Date(iso);
    if (isNaN(d)) return iso;
    return d.toLocaleString(LANG, { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
  }
  function day(iso) { return iso ? String(iso).slice(0, 10) : "—"; }

  /* Labels translated by the template: <template id=...><span data-k=key>text</span></template>. */
  function labels(id) {
    const out = {};
    const t = document.getElementById(id);
    if (t) t.content.querySelectorAll("[data-k]").forEach((n) => { out[n.dataset.k] = n.textContent; });
    return out;
  }

  function errorMessage(err) {
    if (!(err instanceof ApiError)) return fmt(S.ui.error, { detail: String(err && err.message || err) });
    if (err.status === 0) return S.ui.unreachable;
    if (err.status === 401) return S.ui.expired_session;
    if (err.status === 403) return S.ui.forbidden;
    if (err.status === 404) return S.ui.not_found;
    return fmt(S.ui.error, { detail: err.problem.detail || err.problem.title || err.status });
  }

  function showError(container, err) {
    container.replaceChildren(el("p", { class: "notice error", role: "alert" }, errorMessage(err)));
    if (err instanceof ApiError && err.status === 401) {
      session.clear();
      container.append(el("p", {}, el("a", { href: "/signin?next=" + encodeURIComponent(location.pathname + location.search) }, document.getElementById("sign-in").textContent)));
    }
  }

  /* The current session if its role may use this page; otherwise a message in `gate`. */
  function requireRole(gate, roles) {
    const current = session.get();
    if (current && current.token && (!roles || roles.includes(current.role))) return current;
    const message = current && current.token ? S.ui.forbidden : S.ui.need_signin;
    gate.replaceChildren(el("p", { class: "notice", role: "alert" }, message, " ",
      el("a", { href: "/signin?next=" + encodeURIComponent(location.pathname + location.search) }, document.getElementById("sign-in").textContent)));
    return null;
  }

  /* A table in a labelled scrolling region; `stack` turns its rows into cards at phone width
   * (each cell then shows its column's name, from `data-label`). */
  function table(caption, headers, rows, options) {
    const stack = options && options.stack;
    return el("div", { class: "table-wrap" + (stack ? " stack" : ""), tabindex: "0", role: "region", "aria-label": caption },
      // Explicit roles when stacked: CSS `display: block` would otherwise drop the table's
      // semantics in some browsers.
      el("table", { role: stack ? "table" : null },
        el("caption", { class: "sr-only" }, caption),
        el("thead", { role: stack ? "rowgroup" : null }, el("tr", { role: stack ? "row" : null }, headers.map((h) => el("th", { scope: "col", role: stack ? "columnheader" : null }, h)))),
        el("tbody", { role: stack ? "rowgroup" : null }, rows.map((r) => el("tr", { role: stack ? "row" : null, ...(r.attrs || {}) },
          r.cells.map((c, n) => el("td", { "data-label": stack ? headers[n] : null, role: stack ? "cell" : null }, c)))))));
  }

  /* A fresh Idempotency-Key: one per submission of a form, kept for its retries, so a double
   * click or a retry after a lost answer files one record (docs/api.md, "Idempotency-Key"). */
  function idempotencyKey() {
    if (window.crypto && crypto.randomUUID) return "portal-" + crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return "portal-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  /* A command that answers 409 `idempotency-key-in-flight` while the same key is still being
   * processed (a double submission): wait for the first and take its stored answer. */
  async function command(path, body, key) {
    for (let attempt = 0; ; attempt++) {
      try {
        return await api(path, { method: "POST", body, headers: { "Idempotency-Key": key } });
      } catch (err) {
        const inFlight = err instanceof ApiError && err.status === 409 && /idempotency-key-in-flight$/.test(err.problem.type || "");
        if (!inFlight || attempt >= 10) throw err;
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
    }
  }

  /* Validation problems (422 `errors`) shown at their fields: `fieldFor(name)` gives the input
   * a problem's field belongs to (or null: then it is listed in the summary only). The summary
   * at the top of the form links to each field and takes the focus, as screen readers expect. */
  /* An API validation message in the page's language where the portal knows it. */
  function apiText(message) {
    const M = S.api_messages;
    const text = String(message || "");
    if (M[text]) return M[text];
    let m;
    if ((m = /^String should have at most (\d+) character/.exec(text))) return fmt(M.at_most_chars, { n: m[1] });
    if ((m = /^Input should be greater than or equal to (\d+)/.exec(text))) return fmt(M.at_least, { n: m[1] });
    if ((m = /^Input should be less than or equal to (\d+)/.exec(text))) return fmt(M.at_most, { n: m[1] });
    if ((m = /^List should have at least (\d+) item/.exec(text))) return fmt(M.too_few, { n: m[1] });
    if (/^Input should be a valid integer/.test(text)) return M.integer;
    return text;
  }

  function labelOf(input) {
    const label = input.labels && input.labels[0] ? input.labels[0] : input.querySelector && input.querySelector("legend");
    return label ? label.textContent.trim() : "";
  }

  function showFieldErrors(form, summary, problem, fieldFor) {
    clearFieldErrors(form, summary);
    const errors = (problem && problem.errors) || [];
    const items = (errors.length ? errors : [{ field: "", message: problem.detail || problem.title }]).map((e) => {
      const input = e.field ? fieldFor(e.field) : null;
      if (input) {
        const id = input.id + "-error";
        input.setAttribute("aria-invalid", "true");
        input.setAttribute("aria-describedby", ((input.getAttribute("aria-describedby") || "") + " " + id).trim());
        const holder = input.closest(".field") || input.parentElement;
        holder.classList.add("has-error");
        const message = apiText(e.message);
        if (input.tagName === "FIELDSET") input.insertBefore(el("p", { class: "field-error", id, "data-field": e.field }, message), input.querySelector("legend").nextSibling);
        else holder.insertBefore(el("p", { class: "field-error", id, "data-field": e.field }, message), input);
        return el("li", {}, el("a", { href: "#" + input.id }, labelOf(input) + S.ui.colon + message));
      }
      return el("li", {}, (e.field ? e.field + S.ui.colon : "") + apiText(e.message));
    });
    summary.replaceChildren(el("h2", {}, S.ui.fix_these), el("ul", {}, items));
    summary.hidden = false;
    summary.focus();
  }

  function clearFieldErrors(form, summary) {
    form.querySelectorAll(".field-error").forEach((n) => n.remove());
    form.querySelectorAll(".has-error").forEach((n) => n.classList.remove("has-error"));
    form.querySelectorAll("[aria-invalid]").forEach((input) => {
      input.removeAttribute("aria-invalid");
      const rest = (input.getAttribute("aria-describedby") || "").split(" ").filter((id) => id && !id.endsWith("-error"));
      if (rest.length) input.setAttribute("aria-describedby", rest.join(" ")); else input.removeAttribute("aria-describedby");
    });
    if (summary) { summary.hidden = true; summary.replaceChildren(); }
  }

  function renderSession() {
    const current = session.get();
    document.querySelectorAll("[data-roles]").forEach((li) => {
      li.hidden = !(current && current.token && li.dataset.roles.split(" ").includes(current.role));
    });
    const who = document.getElementById("session-who");
    const out = document.getElementById("sign-out");
    const inLink = document.getElementById("sign-in");
    if (current && current.token) {
      who.textContent = fmt(S.ui.signed_in_as, { who: (current.label || current.sub) + " · " + roleName(current.role) });
      who.hidden = false; out.hidden = false; inLink.hidden = true;
    } else {
      who.hidden = true; out.hidden = true; inLink.hidden = false;
    }
  }

  document.getElementById("sign-out").addEventListener("click", () => {
    session.clear();
    window.location.assign("/");
  });
  renderSession();

  window.Portal = {
    S, LANG, session, api, ApiError, el, highlight, badge, statusLabel, departmentName, roleName,
    money, when, day, fmt, labels, errorMessage, showError, requireRole, table, renderSession,
    idempotencyKey, command, showFieldErrors, clearFieldErrors,
    devEnabled: document.body.dataset.dev === "1",
  };
})();
