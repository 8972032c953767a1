/* Dashboard (analyst): charts drawn by Chart.js (vendored from npm) from
 * GET /analytics/cases (by department and by status) and GET /analytics/revenue. */
(function () {
  "use strict";
  const P = window.Portal;
  const { S, api, el, fmt, departmentName, statusLabel, showError, requireRole, table, money } = P;
  const gate = document.getElementById("dash-gate");
  const root = document.getElementById("dashboard");
  const form = document.getElementById("filters");
  const status = document.getElementById("dash-status");
  const tiles = document.getElementById("tiles");
  const COLORS = ["#1f5fa8", "#c2410c", "#15803d", "#7e22ce", "#b91c1c", "#0e7490", "#a16207", "#4b5563"];
  const charts = {};

  function draw(id, config) {
    if (charts[id]) charts[id].destroy();
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false,
      plugins: { legend: { position: "bottom" } } }, config.options || {});
    charts[id] = new Chart(document.getElementById(id), config);
  }

  function dataTable(id, caption, headers, rows) {
    document.getElementById(id).replaceChildren(table(caption, headers, rows.map((cells) => ({ cells }))));
  }

  function filters() {
    const data = new FormData(form);
    const out = {};
    for (const [k, v] of data.entries()) if (v) out[k] = v;
    return out;
  }

  function pct(rate) { return rate === null || rate === undefined ? null : Math.round(rate * 1000) / 10; }

  async function load() {
    const f = filters();
    root.dataset.state = "loading";
    status.textContent = S.ui.loading;
    try {
      const [byDept, byStatus, revenue] = await Promise.all([
        api("/analytics/cases", { params: Object.assign({ group_by: "department" }, f) }),
        api("/analytics/cases", { params: Object.assign({ group_by: "status" }, f) }),
        api("/analytics/revenue", { params: { group_by: "kind", interval: "month", department: f.department, region_code: f.region_code, from: f.from, to: f.to } }),
      ]);
      const d = byDept.groups;
      const labels = d.map((g) => departmentName(g.group));
      const sum = (key) => d.reduce((a, g) => a + (g[key] || 0), 0);
      const net = revenue.groups.reduce((a, g) => a + g.net_fen, 0);
      tiles.replaceChildren(...[
        [S.ui.submitted_count, sum("submitted")], [S.ui.decided_count, sum("decided")],
        [S.ui.open_count, sum("open")], [S.ui.overdue_count, sum("overdue")], [S.ui.revenue, money(net)],
      ].map(([k, v]) => el("div", { class: "tile" }, el("span", { class: "tile-value" }, String(v)), el("span", { class: "tile-label" }, k))));

      // A horizontal bar per department: room for every label.
      document.getElementById("chart-departments").parentElement.style.height = Math.max(18, labels.length * 2.2) + "rem";
      draw("chart-departments", { type: "bar", data: { labels, datasets: [
        { label: S.ui.submitted_count, data: d.map((g) => g.submitted), backgroundColor: COLORS[0] },
        { label: S.ui.decided_count, data: d.map((g) => g.decided), backgroundColor: COLORS[2] },
        { label: S.ui.open_count, data: d.map((g) => g.open), backgroundColor: COLORS[6] },
        { label: S.ui.overdue_count, data: d.map((g) => g.overdue), backgroundColor: COLORS[4] },
      ] }, options: { indexAxis: labels.length > 6 ? "y" : "x",
        scales: { x: { ticks: { autoSkip: false } }, y: { ticks: { autoSkip: false } } } } });
      dataTable("data-departments", S.ui.department, [S.ui.department, S.ui.submitted_count, S.ui.decided_count, S.ui.open_count, S.ui.overdue_count],
        d.map((g) => [departmentName(g.group), g.submitted, g.decided, g.open, g.overdue]));

      const st = byStatus.groups;
      draw("chart-status", { type: "doughnut", data: { labels: st.map((g) => statusLabel(g.group)),
        datasets: [{ label: S.ui.cases_total, data: st.map((g) => g.submitted), backgroundColor: st.map((_, i) => COLORS[i % COLORS.length]) }] } });
      charts["chart-status"].$groups = st.map((g) => g.group);
      dataTable("data-status", S.ui.cases_total, ["", S.ui.cases_total], st.map((g) => [statusLabel(g.group), g.submitted]));

      draw("chart-days", { type: "bar", data: { labels, datasets: [
        { label: S.ui.median_days, data: d.map((g) => g.median_days), backgroundColor: COLORS[0] },
        { label: S.ui.p90_days, data: d.map((g) => g.p90_days), backgroundColor: COLORS[1] },
      ] }, options: { scales: { x: { ticks: { autoSkip: false } } } } });
      dataTable("data-days", S.ui.median_days, [S.ui.department, S.ui.median_days, S.ui.p90_days],
        d.map((g) => [departmentName(g.group), g.median_days ?? "—", g.p90_days ?? "—"]));

      draw("chart-quality", { type: "bar", data: { labels, datasets: [
        { label: S.ui.on_time_rate + " (%)", data: d.map((g) => pct(g.on_time_rate)), backgroundColor: COLORS[2], yAxisID: "y" },
        { label: S.ui.avg_rating, data: d.map((g) => g.avg_rating), type: "line", borderColor: COLORS[3], backgroundColor: COLORS[3], pointRadius: 5, yAxisID: "y1" },
      ] }, options: { scales: { x: { ticks: { autoSkip: false } }, y: { min: 0, max: 100, position: "left" }, y1: { min: 0, max: 5, position: "right", grid: { drawOnChartArea: false } } } } });
      dataTable("data-quality", S.ui.on_time_rate, [S.ui.department, S.ui.on_time_rate, S.ui.avg_rating],
        d.map((g) => [departmentName(g.group), g.on_time_rate === null ? "—" : pct(g.on_time_rate) + "%", g.avg_rating ?? "—"]));

      const periods = [...new Set(revenue.groups.flatMap((g) => g.periods.map((p) => p.period)))].sort();
      draw("chart-revenue", { type: "bar", data: { labels: periods.map((p) => p.slice(0, 7)), datasets: revenue.groups.map((g, i) => ({
        label: S.kinds[g.group] || g.group, backgroundColor: COLORS[i % COLORS.length],
        data: periods.map((p) => { const hit = g.periods.find((x) => x.period === p); return hit ? hit.net_fen / 100 : 0; }),
      })) }, options: { scales: { x: { stacked: true }, y: { stacked: true } } } });
      dataTable("data-revenue", S.ui.revenue, ["", ...revenue.groups.map((g) => S.kinds[g.group] || g.group)],
        periods.map((p) => [p.slice(0, 7), ...revenue.groups.map((g) => { const hit = g.periods.find((x) => x.period === p); return money(hit ? hit.net_fen : 0); })]));

      status.textContent = "";
      root.dataset.state = "ready";
      root.dataset.filters = new URLSearchParams(f).toString();
    } catch (err) {
      root.dataset.state = "error";
      showError(status, err);
    }
  }

  if (requireRole(gate, ["analyst", "admin"])) {
    root.hidden = false;
    const initial = new URLSearchParams(location.search);
    for (const [k, v] of initial.entries()) { const field = form.elements[k]; if (field) field.value = v; }
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const q = new URLSearchParams(filters()).toString();
      history.replaceState(null, "", "/dashboard" + (q ? "?" + q : ""));
      load();
    });
    load();
  }
})();
