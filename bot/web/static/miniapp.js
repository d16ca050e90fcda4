// The Mini App's page: the plan as a table, a margin chart above it, inline edits.
// Plain JavaScript, no build step, nothing fetched but this server's API. Every text comes
// from the server in the reader's language; every number is priced by the server.
(function () {
  "use strict";

  const prefix = document.body.dataset.prefix || "/miniapp";
  const app = document.getElementById("app");
  const hash = new URLSearchParams(location.hash.slice(1));
  const query = new URLSearchParams(location.search);
  const webApp = () => (window.Telegram && window.Telegram.WebApp) || null;

  // Telegram hands the page its signed initData in the URL fragment (and through
  // telegram-web-app.js when that loaded). Either way the server checks the signature:
  // this only carries it.
  const INIT = (webApp() && webApp().initData) || hash.get("tgWebAppData") || "";
  const signed = new URLSearchParams(INIT);
  const campaignId =
    query.get("campaign") ||
    signed.get("start_param") ||
    query.get("tgWebAppStartParam") ||
    hash.get("tgWebAppStartParam") ||
    "";

  // what matters most first: at phone width the rest scrolls sideways
  const COLUMNS = [
    ["code", "sku", "text"],
    ["planned_price", "planned_price", "number"],
    ["margin", "margin", "number"],
    ["discount", "discount", "number"],
    ["list_price", "list_price", "number"],
    ["floor", "floor", "number"],
    ["customer_floor", "customer_floor", "number"],
    ["status", "status", "status"],
  ];
  const BAD = new Set(["below_floor", "no_price"]);
  const WARN = new Set(["misses_min_discount", "cannot_reach_min_depth", "no_grid_price"]);

  let data = null;
  let strings = {};
  const state = { sort: "margin", dir: 1, search: "", status: "", margin: "" };

  // -- theme ---------------------------------------------------------------------------

  function luminance(hex) {
    const v = hex.replace("#", "");
    const full = v.length === 3 ? v.split("").map((c) => c + c).join("") : v.slice(0, 6);
    const n = parseInt(full, 16);
    return (0.299 * ((n >> 16) & 255) + 0.587 * ((n >> 8) & 255) + 0.114 * (n & 255)) / 255;
  }

  function applyTheme() {
    const w = webApp();
    let params = w ? w.themeParams : null;
    let scheme = w ? w.colorScheme : null;
    if (!params) {
      try {
        params = JSON.parse(hash.get("tgWebAppThemeParams") || "null");
      } catch (e) {
        params = null;
      }
    }
    const root = document.documentElement;
    if (params && typeof params === "object") {
      for (const [key, value] of Object.entries(params)) {
        if (typeof value === "string" && /^#[0-9a-fA-F]{3,8}$/.test(value)) {
          root.style.setProperty("--tg-theme-" + key.replace(/_/g, "-"), value);
        }
      }
      if (!scheme && typeof params.bg_color === "string") {
        scheme = luminance(params.bg_color) < 0.5 ? "dark" : "light";
      }
    }
    if (scheme === "dark" || scheme === "light") root.dataset.theme = scheme;
  }

  applyTheme();
  window.addEventListener("load", () => {
    const w = webApp();
    if (!w) return;
    try {
      w.ready();
      w.expand();
      w.onEvent("themeChanged", applyTheme);
    } catch (e) {
      /* an older client: the page works without these */
    }
    applyTheme();
  });

  // -- helpers -------------------------------------------------------------------------

  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, (m, key) => (key in values ? values[key] : m));
  }

  async function api(path, options) {
    const init = Object.assign({}, options || {});
    init.headers = { "X-Telegram-Init-Data": INIT, "Content-Type": "application/json" };
    let response;
    try {
      response = await fetch(prefix + "/api" + path, init);
    } catch (e) {
      return { status: 0, body: { error: strings.error || "Network error" } };
    }
    let body = {};
    try {
      body = await response.json();
    } catch (e) {
      body = { error: strings.error || "Error" };
    }
    return { status: response.status, body };
  }

  function showError(message) {
    app.replaceChildren(el("p", { class: "note error", id: "error" }, message));
  }

  const num = (value) => (value === null || value === undefined ? null : parseFloat(value));
  const target = () => num(data.campaign.target_margin);

  // -- the campaign list (opened without a campaign) --------------------------------------

  async function showCampaigns() {
    const { status, body } = await api("/campaigns");
    if (status !== 200) return showError(body.error);
    strings = body.strings;
    document.title = strings.title;
    const list = el("div", { class: "campaigns" });
    for (const campaign of body.campaigns) {
      const href = "?campaign=" + encodeURIComponent(campaign.id) + location.hash;
      list.append(el("a", { href }, campaign.name + " · #" + campaign.id + " · " + campaign.team));
    }
    app.replaceChildren(
      el("h1", {}, strings.choose_campaign),
      body.campaigns.length ? list : el("p", { class: "note" }, strings.no_campaigns)
    );
  }

  // -- the plan ----------------------------------------------------------------------------

  async function showPlan() {
    const { status, body } = await api("/campaigns/" + encodeURIComponent(campaignId) + "/plan");
    if (status !== 200) return showError(body.error);
    data = body;
    strings = body.strings;
    document.documentElement.lang = body.locale.replace("_", "-");
    document.title = strings.title + " · " + data.campaign.name;
    render();
  }

  function render() {
    const c = data.campaign;
    const statusSelect = el(
      "select",
      { id: "status-filter", "aria-label": strings.status, onchange: (e) => update("status", e) },
      el("option", { value: "" }, strings.all_statuses),
      ...Object.entries(data.statuses)
        .filter(([key]) => data.rows.some((row) => row.status === key))
        .map(([key, label]) => el("option", { value: key, selected: state.status === key }, label))
    );
    const marginSelect = el(
      "select",
      { id: "margin-filter", "aria-label": strings.margin, onchange: (e) => update("margin", e) },
      el("option", { value: "" }, strings.all_margins),
      el("option", { value: "below", selected: state.margin === "below" }, strings.below_target),
      el("option", { value: "at", selected: state.margin === "at" }, strings.at_target)
    );
    const search = el("input", {
      id: "search",
      type: "search",
      placeholder: strings.search,
      "aria-label": strings.search,
      value: state.search,
      oninput: (e) => update("search", e),
    });
    const parts = [
      el("h1", { id: "title" }, c.name + " · #" + c.id),
      el(
        "p",
        { class: "note" },
        c.channel + " · " + c.currency + " · " + fill(strings.chart_target, { value: c.target_margin_text })
      ),
      data.can_edit ? null : el("p", { class: "note", id: "read-only" }, strings.read_only),
      chart(),
      el("div", { class: "controls" }, search, statusSelect, marginSelect),
      el("p", { class: "note", id: "flash", role: "status" }),
      el("p", { class: "note", id: "shown" }),
      el("div", { class: "scroll" }, table()),
    ];
    app.replaceChildren(...parts.filter((part) => part !== null));
    fillBody();
  }

  function update(key, event) {
    state[key] = event.target.value;
    fillBody();
  }

  function chart() {
    const priced = data.rows.filter((row) => row.enrolled && row.margin !== null);
    const box = el("figure", { class: "chart", id: "chart" });
    box.append(
      el("figcaption", { class: "caption" }, strings.chart_title + " · " + fill(strings.chart_target, { value: data.campaign.target_margin_text }))
    );
    if (!priced.length) {
      box.append(el("p", { class: "note" }, strings.chart_empty));
      return box;
    }
    const margins = priced.map((row) => num(row.margin)).sort((a, b) => a - b);
    const goal = target();
    const top = Math.max(goal * 1.5, margins[margins.length - 1], 0.01);
    const bottom = Math.min(0, margins[0]);
    const width = 360;
    const height = 120;
    const y = (value) => height - ((value - bottom) / (top - bottom)) * height;
    const step = width / margins.length;
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    svg.setAttribute("preserveAspectRatio", "none");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", strings.chart_title);
    const zero = y(0);
    margins.forEach((value, index) => {
      const bar = document.createElementNS(ns, "rect");
      const upper = Math.min(y(value), zero);
      bar.setAttribute("x", (index * step + step * 0.1).toFixed(2));
      bar.setAttribute("width", Math.max(step * 0.8, 0.5).toFixed(2));
      bar.setAttribute("y", upper.toFixed(2));
      bar.setAttribute("height", Math.max(Math.abs(y(value) - zero), 1).toFixed(2));
      bar.setAttribute("fill", value < goal ? "var(--danger)" : "var(--ok)");
      bar.setAttribute("class", value < goal ? "bar low" : "bar");
      svg.append(bar);
    });
    const line = document.createElementNS(ns, "line");
    line.setAttribute("x1", "0");
    line.setAttribute("x2", String(width));
    line.setAttribute("y1", y(goal).toFixed(2));
    line.setAttribute("y2", y(goal).toFixed(2));
    line.setAttribute("stroke", "var(--text)");
    line.setAttribute("stroke-dasharray", "4 3");
    line.setAttribute("vector-effect", "non-scaling-stroke");
    line.setAttribute("id", "target-line");
    svg.append(line);
    box.append(svg);
    return box;
  }

  function table() {
    const head = el("tr");
    for (const [key, label] of COLUMNS) {
      const sort = state.sort === key ? (state.dir > 0 ? "ascending" : "descending") : null;
      head.append(
        el(
          "th",
          { "data-key": key, "aria-sort": sort, scope: "col" },
          el(
            "button",
            { type: "button", title: fill(strings.sort_by, { column: strings[label] }), onclick: () => sortBy(key) },
            strings[label]
          )
        )
      );
    }
    return el("table", { id: "plan" }, el("thead", {}, head), el("tbody"));
  }

  function sortBy(key) {
    state.dir = state.sort === key ? -state.dir : 1;
    state.sort = key;
    document.querySelectorAll("#plan th").forEach((th) => {
      const mine = th.dataset.key === state.sort;
      if (mine) th.setAttribute("aria-sort", state.dir > 0 ? "ascending" : "descending");
      else th.removeAttribute("aria-sort");
    });
    fillBody();
  }

  function visibleRows() {
    const needle = state.search.trim().toLowerCase();
    const goal = target();
    const order = Object.keys(data.statuses);
    const kind = (COLUMNS.find(([key]) => key === state.sort) || COLUMNS[0])[2];
    const rows = data.rows.filter((row) => {
      if (needle && !row.code.toLowerCase().includes(needle) && !row.name.toLowerCase().includes(needle)) return false;
      if (state.status && row.status !== state.status) return false;
      const margin = num(row.margin);
      if (state.margin === "below" && !(margin !== null && margin < goal)) return false;
      if (state.margin === "at" && !(margin !== null && margin >= goal)) return false;
      return true;
    });
    const value = (row) => {
      if (kind === "text") return row.code.toLowerCase();
      if (kind === "status") return order.indexOf(row.status);
      return num(row[state.sort]);
    };
    rows.sort((a, b) => {
      const x = value(a);
      const y = value(b);
      if (x === null && y === null) return a.code.localeCompare(b.code);
      if (x === null) return 1; // blanks last, whichever the direction
      if (y === null) return -1;
      if (x < y) return -state.dir;
      if (x > y) return state.dir;
      return a.code.localeCompare(b.code);
    });
    return rows;
  }

  function fillBody() {
    const body = document.querySelector("#plan tbody");
    const rows = visibleRows();
    const goal = target();
    body.replaceChildren();
    for (const row of rows) {
      const tr = el("tr", {
        "data-sku": row.sku_id,
        "data-code": row.code,
        "data-margin": row.margin === null ? "" : row.margin,
        "data-status": row.status,
        class: row.enrolled ? null : "off",
      });
      const margin = num(row.margin);
      const edit = data.can_edit
        ? el("button", { type: "button", class: "edit", title: strings.edit, "aria-label": strings.edit + " " + row.code, onclick: () => openEditor(tr, row) }, "✎")
        : null;
      tr.append(el("td", { class: "code", title: row.name }, row.code, edit));
      tr.append(el("td", { class: "planned_price" }, row.text.planned_price));
      tr.append(el("td", { class: "margin " + (margin === null ? "" : margin < goal ? "low" : "good") }, row.text.margin));
      for (const key of ["discount", "list_price", "floor", "customer_floor"]) {
        tr.append(el("td", { class: key }, row.text[key]));
      }
      const badge = BAD.has(row.status) ? "badge bad" : WARN.has(row.status) ? "badge warn" : row.status === "ok" ? "badge ok" : "badge";
      tr.append(
        el(
          "td",
          { class: "status", "data-status": row.status },
          el("span", { class: badge }, row.status_label),
          row.enrolled ? null : " · " + strings.not_enrolled_mark,
          row.accepted ? " · " + strings.accepted_mark : null
        )
      );
      body.append(tr);
    }
    if (!rows.length) {
      body.append(el("tr", {}, el("td", { colspan: COLUMNS.length }, strings.no_rows)));
    }
    document.getElementById("shown").textContent = fill(strings.shown, { shown: rows.length, total: data.rows.length });
  }

  // -- editing -----------------------------------------------------------------------------

  function openEditor(tr, row) {
    document.querySelectorAll("tr.editor").forEach((node) => node.remove());
    const price = el("input", { name: "price", inputmode: "decimal", placeholder: strings.price_placeholder, "aria-label": strings.planned_price, value: row.planned_price || "" });
    const discount = el("input", { name: "discount", inputmode: "decimal", placeholder: strings.discount_placeholder, "aria-label": strings.discount });
    const result = el("div", { class: "result", role: "status" });
    price.addEventListener("input", () => { if (price.value) discount.value = ""; });
    discount.addEventListener("input", () => { if (discount.value) price.value = ""; });
    const form = el(
      "form",
      { onsubmit: (event) => { event.preventDefault(); save(row, price.value, discount.value, false, result); } },
      price,
      discount,
      el("button", { type: "submit", class: "save" }, strings.save),
      el("button", { type: "button", class: "secondary cancel", onclick: () => editor.remove() }, strings.cancel)
    );
    const editor = el(
      "tr",
      { class: "editor", "data-sku": row.sku_id },
      el("td", { colspan: COLUMNS.length }, el("p", { class: "note" }, row.code + " · " + strings.price_or_discount), form, result)
    );
    tr.after(editor);
    price.focus();
  }

  async function save(row, price, discount, confirm, result) {
    const edit = price.trim() ? { price: price.trim() } : { discount: discount.trim() };
    if (confirm) edit.confirm = true;
    result.replaceChildren(el("span", { class: "note" }, strings.saving));
    const { status, body } = await api(
      "/campaigns/" + encodeURIComponent(campaignId) + "/skus/" + encodeURIComponent(row.sku_id),
      { method: "POST", body: JSON.stringify(edit) }
    );
    if (status === 200) {
      const index = data.rows.findIndex((r) => r.sku_id === body.row.sku_id);
      if (index >= 0) data.rows[index] = body.row;
      const flash = body.message;
      render();
      document.getElementById("flash").textContent = flash;
      return;
    }
    if (status === 409 && body.needs_confirm) {
      const box = el(
        "div",
        { class: "confirm", role: "alertdialog" },
        el("p", { class: "question" }, body.question),
        el("button", { type: "button", class: "save-anyway", onclick: () => save(row, price, discount, true, result) }, strings.save_anyway),
        " ",
        el("button", { type: "button", class: "secondary cancel", onclick: () => result.replaceChildren() }, strings.cancel)
      );
      result.replaceChildren(box);
      return;
    }
    result.replaceChildren(el("p", { class: "error" }, body.error || strings.error));
  }

  if (campaignId) showPlan();
  else showCampaigns();
})();
