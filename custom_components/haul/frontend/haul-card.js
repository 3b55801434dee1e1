// The Haul Lovelace card: requests (with release selection), downloads and library, kept live
// through the Haul integration's WebSocket commands. Plain ES module, no build step.
//
//   type: custom:haul-card
//   title: Haul                           # the heading
//   config_entry_id: 01J…                 # which Haul engine; the first loaded one when absent
//   views: [requests, downloads, library] # the tabs, in this order
//   view: requests                        # the tab shown first

// Home Assistant's app swaps in its own custom element registry (and HTMLElement) when it loads; a
// card defined before that is invisible to it. Its root element being defined means the swap is done.
await customElements.whenDefined("home-assistant");

const VIEWS = {
  requests: { label: "Requests", icon: "mdi:movie-search-outline" },
  downloads: { label: "Downloads", icon: "mdi:download" },
  library: { label: "Library", icon: "mdi:bookshelf" },
};
const DEFAULTS = { title: "Haul", view: "requests", views: Object.keys(VIEWS) };
const REQUEST_STATES = {
  pending: ["Pending approval", "--warning-color"],
  approved: ["Approved", "--info-color"],
  searching: ["Searching", "--info-color"],
  awaiting_selection: ["Awaiting selection", "--primary-color"],
  grabbed: ["Grabbed", "--success-color"],
  downloading: ["Downloading", "--success-color"],
  importing: ["Importing", "--success-color"],
};
// a series request's seasons: the short word on each season's chip, the long one in its tooltip
const SEASON_STATES = {
  searching: ["searching", "Searching", "--info-color"],
  awaiting_selection: ["to pick", "Awaiting selection", "--primary-color"],
  grabbed: ["grabbed", "Grabbed", "--success-color"],
  downloading: ["downloading", "Downloading", "--success-color"],
  importing: ["importing", "Importing", "--success-color"],
  available: ["✓", "Available", "--success-color"],
  failed: ["failed", "Failed", "--error-color"],
};
const COLUMNS = [
  { key: "indexer", label: "Indexer", value: (c) => c.indexer.toLowerCase() },
  { key: "title", label: "Title", value: (c) => c.title.toLowerCase() },
  { key: "size", label: "Size", value: (c) => c.size ?? -1, numeric: true },
  { key: "seeders", label: "Seeders", value: (c) => c.seeders ?? -1, numeric: true },
  { key: "quality", label: "Quality", value: (c) => c.quality.toLowerCase() },
  { key: "score", label: "Score", value: (c) => c.haul_score, numeric: true },
  { key: "why", label: "Why", value: (c) => rejections(c).length },
];
// qBittorrent's state names, as the engine reports them
const DOWNLOAD_STATES = {
  downloading: "Downloading",
  forcedDL: "Downloading (forced)",
  metaDL: "Fetching metadata",
  forcedMetaDL: "Fetching metadata",
  stalledDL: "Stalled",
  queuedDL: "Queued",
  stoppedDL: "Paused",
  checkingDL: "Checking",
  checkingUP: "Checking",
  checkingResumeData: "Checking",
  uploading: "Seeding",
  forcedUP: "Seeding (forced)",
  stalledUP: "Seeding",
  queuedUP: "Queued for seeding",
  stoppedUP: "Completed",
  error: "Error",
};
// the gap browser: how a gap's search stands, and how the list can be ordered
const GAP_STATES = {
  pending: ["Waiting", "--info-color"],
  queued: ["Queued", "--info-color"],
  searching: ["Searching", "--primary-color"],
  cooldown: ["Cooling down", "--secondary-text-color"],
  exhausted: ["Given up", "--warning-color"],
};
const GAP_SORTS = {
  released: "Newest",
  title: "Title",
  attempts: "Attempts",
  next_eligible: "Next search",
  boost: "Boost",
};
const OUTCOMES = {
  grabbed: "grabbed",
  no_results: "nothing found",
  rate_limited: "rate limited",
  timed_out: "timed out",
  arr_error: "app error",
};
const BOOST = 10;
const QUERY_DELAY_MS = 300;
const GAPS_RELOAD_MS = 1000; // a sweep's or sync's burst of library events is one read of the list
// a release is grabbed: another may be picked in its place (the grabbed one blocklisted)
const GRABBED_STATES = new Set(["grabbed", "downloading", "importing"]);
const UNKNOWN_ETA = 8640000;
const RETRY_MS = 10000;
const HEALTH_PROBLEMS = new Set(["degraded", "unhealthy", "offline"]);

const esc = (value) =>
  String(value ?? "").replace(
    /[&<>"']/g,
    (char) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[char],
  );

function bytes(value) {
  if (value == null) return "—";
  const units = ["B", "kB", "MB", "GB", "TB"];
  let size = value;
  let unit = 0;
  while (size >= 1000 && unit < units.length - 1) {
    size /= 1000;
    unit += 1;
  }
  return `${size.toFixed(unit && size < 100 ? 1 : 0)} ${units[unit]}`;
}

function eta(download) {
  if (download.progress >= 1) return "done";
  const seconds = download.eta;
  if (!download.size || seconds <= 0 || seconds >= UNKNOWN_ETA) return "—";
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  if (hours >= 24) return `${Math.floor(hours / 24)} d ${hours % 24} h`;
  if (hours) return `${hours} h ${minutes} min`;
  return minutes ? `${minutes} min` : `${seconds} s`;
}

function ago(iso, language) {
  const seconds = (Date.parse(iso) - Date.now()) / 1000;
  const format = new Intl.RelativeTimeFormat(language, { numeric: "auto" });
  for (const [unit, size] of [["day", 86400], ["hour", 3600], ["minute", 60]]) {
    if (Math.abs(seconds) >= size) return format.format(Math.round(seconds / size), unit);
  }
  return format.format(Math.round(seconds), "second");
}

// a gap's title: an episode's with its series and number
function gapTitle(gap) {
  return gap.series ? `${gap.series} ${episode(gap)} · ${gap.title}` : gap.title;
}

// an upcoming item in the gap browser: when it is out; never searched, so nothing to act on
function upcomingRow(gap, language) {
  const out = gap.released_at
    ? `Out ${new Date(gap.released_at).toLocaleDateString(language)}`
    : "Date unknown";
  return `<tr data-gap="${gap.id}" class="upcoming">
    <td class="cell-title">${esc(gapTitle(gap))}</td>
    <td data-label="State"><span class="badge" style="--badge: var(--secondary-text-color)">${esc(out)}</span></td>
    <td class="num" data-label="Attempts">—</td>
    <td data-label="Last search">—</td>
    <td class="gap-actions"></td>
  </tr>`;
}

// a title with its year, unless the title says it already ("Hackers (1995)" from Overseerr)
function titled(item) {
  const title = String(item.title ?? "");
  return item.year && !title.endsWith(`(${item.year})`) ? `${title} (${item.year})` : title;
}

function rejections(candidate) {
  return [
    ...(candidate.failed ? [`failed: ${candidate.failed}`] : []),
    ...candidate.arr_rejections,
    ...candidate.haul_rejections,
  ];
}

function why(candidate) {
  const against = rejections(candidate);
  if (against.length) {
    return `<ul class="against">${against.map((r) => `<li>${esc(r)}</li>`).join("")}</ul>`;
  }
  const reasons = [...candidate.custom_formats, candidate.release_group].filter(Boolean);
  return `<span class="for">✓ ${esc(reasons.join(" · ") || "accepted")}</span>`;
}

function episode(gap) {
  if (gap.season_number == null) return "";
  const pad = (number) => String(number ?? 0).padStart(2, "0");
  return `S${pad(gap.season_number)}E${pad(gap.episode_number)}`;
}

// Each requested season as a chip ("S1 ✓", "S2 63 %", "S3 to pick"); the downloading one shows
// the progress of the request's download.
function seasonChips(request, downloads) {
  const seasons = Object.entries(request.season_states ?? {}).sort(([a], [b]) => a - b);
  if (!seasons.length) return "";
  const download = downloads.find((item) => item.hash === request.download_id);
  const chips = seasons.map(([number, state]) => {
    const [short, long, color] = SEASON_STATES[state] ?? [state, state, "--secondary-text-color"];
    const percent = state === "downloading" && download ? `${Math.floor(download.progress * 100)} %` : "";
    return `<li class="season ${esc(state)}" style="--badge: var(${color})" data-season="${esc(number)}"
      title="${esc(`Season ${number}: ${long}`)}">S${esc(number)} ${esc(percent || short)}</li>`;
  });
  return `<ul class="seasons" aria-label="Seasons">${chips.join("")}</ul>`;
}

function bar(fraction, label) {
  const percent = Math.max(0, Math.min(100, fraction * 100));
  return `<div class="bar" role="progressbar" aria-label="${esc(label)}" aria-valuemin="0"
    aria-valuemax="100" aria-valuenow="${percent.toFixed(0)}"><div style="width:${percent}%"></div></div>`;
}

const STYLE = `
  :host { display: block; }
  ha-card { container-type: inline-size; overflow: hidden; color: var(--primary-text-color); }
  button { font: inherit; cursor: pointer; }
  button:disabled { cursor: default; opacity: 0.5; }
  .header { display: flex; align-items: center; justify-content: space-between; gap: 8px;
    flex-wrap: wrap; padding: 12px 16px 0; }
  .card-title { font-size: 1.4em; font-weight: 500; }
  .tabs { display: flex; gap: 4px; }
  .tab { display: flex; align-items: center; gap: 4px; border: none; border-radius: 18px;
    padding: 6px 12px; background: none; color: var(--secondary-text-color); --mdc-icon-size: 18px; }
  .tab[aria-selected="true"] { background: color-mix(in srgb, var(--primary-color) 16%, transparent);
    color: var(--primary-color); font-weight: 500; }
  .count { font-size: 0.8em; opacity: 0.8; }
  .body { padding: 8px 16px 16px; }
  .error { margin: 8px 16px 0; padding: 8px 12px; border-radius: 8px; color: var(--error-color);
    background: color-mix(in srgb, var(--error-color) 12%, transparent); }
  .empty { color: var(--secondary-text-color); padding: 16px 0; text-align: center; }
  .stale { margin: 8px 16px 0; padding: 8px 12px; border-radius: 8px; color: var(--primary-text-color);
    background: color-mix(in srgb, var(--warning-color) 18%, transparent); }
  form.ask { display: flex; gap: 6px; padding: 8px 16px 0; flex-wrap: wrap; }
  form.ask input, form.ask select { font: inherit; color: inherit; background: none; padding: 6px 10px;
    border: 1px solid var(--divider-color); border-radius: 18px; }
  form.ask input { flex: 1; min-width: 140px; }
  form.ask[hidden] { display: none; }
  .failures { margin: 0 0 8px; padding: 8px 12px; border-radius: 8px; color: var(--primary-text-color);
    background: color-mix(in srgb, var(--error-color) 12%, transparent); }
  .failures ul { margin: 4px 0 0; padding-left: 18px; }
  ul.works { list-style: none; margin: 0; padding: 0; }
  ul.works > li { display: flex; gap: 12px; padding: 10px 0; align-items: flex-start;
    border-bottom: 1px solid var(--divider-color); }
  .overview { color: var(--secondary-text-color); font-size: 0.9em; margin-top: 4px;
    display: -webkit-box; -webkit-line-clamp: 3; -webkit-box-orient: vertical; overflow: hidden; }
  tr.grabbed td.cell-title::after { content: " · grabbed"; color: var(--primary-color); font-weight: 500; }
  ul.list { list-style: none; margin: 0; padding: 0; }
  ul.list > li { display: flex; gap: 12px; padding: 10px 0; align-items: center;
    border-bottom: 1px solid var(--divider-color); }
  ul.list > li:last-child { border-bottom: none; }
  .grow { flex: 1; min-width: 0; }
  .name { font-weight: 500; overflow-wrap: anywhere; }
  .meta { color: var(--secondary-text-color); font-size: 0.9em; margin-top: 2px; }
  .poster { flex: none; width: 46px; height: 69px; border-radius: 6px; overflow: hidden;
    display: grid; place-items: center; color: var(--text-primary-color, #fff);
    background: linear-gradient(160deg, var(--primary-color), var(--accent-color, var(--primary-color))); }
  .poster img { width: 100%; height: 100%; object-fit: cover; }
  .badge { display: inline-block; margin-top: 6px; padding: 1px 8px; border-radius: 10px;
    font-size: 0.8em; background: color-mix(in srgb, var(--badge) 18%, transparent);
    border: 1px solid color-mix(in srgb, var(--badge) 60%, transparent); }
  ul.seasons { list-style: none; display: flex; flex-wrap: wrap; gap: 4px; margin: 6px 0 0; padding: 0; }
  .season { padding: 0 7px; border-radius: 10px; font-size: 0.8em; white-space: nowrap;
    font-variant-numeric: tabular-nums; color: var(--primary-text-color);
    border: 1px solid color-mix(in srgb, var(--badge) 55%, transparent); }
  .season.available, .season.downloading { background: color-mix(in srgb, var(--badge) 18%, transparent); }
  .actions { display: flex; gap: 6px; flex-wrap: wrap; justify-content: flex-end; }
  .btn { border: 1px solid var(--divider-color); border-radius: 18px; padding: 6px 14px;
    background: none; color: var(--primary-color); white-space: nowrap; }
  .btn.primary { background: var(--primary-color); border-color: var(--primary-color);
    color: var(--text-primary-color, #fff); }
  .icon-btn { border: none; background: none; color: var(--primary-text-color); padding: 6px;
    border-radius: 50%; display: grid; place-items: center; }
  .icon-btn:hover, .btn:hover { background-color: color-mix(in srgb, var(--primary-color) 10%, transparent); }
  .btn.primary:hover { background: color-mix(in srgb, var(--primary-color) 85%, black); }
  .bar { height: 6px; border-radius: 3px; margin-top: 6px; overflow: hidden;
    background: var(--secondary-background-color, color-mix(in srgb, var(--primary-text-color) 12%, transparent)); }
  .bar > div { height: 100%; background: var(--primary-color); transition: width 0.4s; }
  .stopped .bar > div { background: var(--disabled-text-color, var(--secondary-text-color)); }
  .transfer { display: flex; gap: 16px; color: var(--secondary-text-color); padding: 4px 0 8px;
    border-bottom: 1px solid var(--divider-color); --mdc-icon-size: 18px; }
  .transfer span { display: inline-flex; align-items: center; gap: 2px; }
  .health { color: var(--warning-color); font-size: 0.85em; margin-left: 6px; }
  .footer { display: flex; justify-content: space-between; align-items: center; gap: 8px;
    flex-wrap: wrap; padding-top: 8px; color: var(--secondary-text-color); }
  @container (max-width: 480px) {
    .tab .label { display: none; }
    ul.list.requests > li { flex-wrap: wrap; }
    ul.list.requests .actions { width: 100%; justify-content: flex-start; padding-left: 58px; }
  }

  dialog { padding: 0; border: none; border-radius: var(--ha-dialog-border-radius, 24px);
    width: min(1100px, calc(100vw - 32px)); max-height: calc(100vh - 48px);
    background: var(--card-background-color, var(--primary-background-color));
    color: var(--primary-text-color); container-type: inline-size; }
  dialog::backdrop { background: rgba(0, 0, 0, 0.5); }
  dialog[open] { display: flex; flex-direction: column; }
  .dialog-head { display: flex; align-items: center; gap: 8px; padding: 16px 20px 8px; }
  .dialog-head h2 { margin: 0; font-size: 1.25em; font-weight: 500; flex: 1; }
  .dialog-body { overflow: auto; padding: 0 20px; flex: 1; }
  .dialog-foot { display: flex; align-items: center; gap: 8px; padding: 12px 20px 16px;
    border-top: 1px solid var(--divider-color); }
  .dialog-foot .message { flex: 1; color: var(--error-color); }
  table { width: 100%; border-collapse: collapse; font-size: 0.92em; }
  th { position: sticky; top: 0; background: var(--card-background-color, var(--primary-background-color));
    text-align: left; padding: 0; border-bottom: 1px solid var(--divider-color); }
  th button { border: none; background: none; color: var(--secondary-text-color); padding: 8px 6px;
    font-weight: 500; white-space: nowrap; }
  th[aria-sort="ascending"] button::after { content: " ▲"; }
  th[aria-sort="descending"] button::after { content: " ▼"; }
  th[aria-sort] button { color: var(--primary-color); }
  td { padding: 8px 6px; border-bottom: 1px solid var(--divider-color); vertical-align: top; }
  td.num { text-align: right; white-space: nowrap; }
  td.quality { white-space: nowrap; }
  tbody tr { cursor: pointer; }
  tbody tr:hover { background: color-mix(in srgb, var(--primary-color) 6%, transparent); }
  tbody tr.chosen { background: color-mix(in srgb, var(--primary-color) 14%, transparent); }
  tbody tr.rejected td:not(.why) { color: var(--secondary-text-color); }
  tr.failed { cursor: not-allowed; opacity: 0.6; }
  .cell-title { overflow-wrap: anywhere; min-width: 180px; }
  .summary { color: var(--secondary-text-color); font-size: 0.9em; }
  ul.against { margin: 0; padding-left: 16px; color: var(--error-color); }
  .for { color: var(--success-color); }
  .gap-tools { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; padding: 4px 0 8px; }
  .gap-tools select, .gap-tools input { font: inherit; padding: 6px 8px; border-radius: 8px;
    border: 1px solid var(--divider-color); background: var(--card-background-color, none);
    color: var(--primary-text-color); }
  .gap-tools input { flex: 1; min-width: 140px; }
  .gap-counts { color: var(--secondary-text-color); font-size: 0.9em; padding-bottom: 6px; }
  .gap-pages { display: flex; gap: 8px; align-items: center; justify-content: flex-end; padding: 8px 0; }
  td.gap-actions { white-space: nowrap; text-align: right; }
  td.gap-actions .icon-btn { display: inline-grid; }
  tr[data-gap] { cursor: default; }
  tr.boosted .cell-title::before { content: "▲ "; color: var(--primary-color); }
  @container (max-width: 640px) {
    table.gaps thead { display: none; }
    table.gaps tbody tr { padding-left: 0; }
    td.gap-actions { width: 100%; text-align: left; }
    table, thead, tbody, tr, th, td { display: block; }
    thead tr { display: flex; flex-wrap: wrap; gap: 2px; border-bottom: 1px solid var(--divider-color); }
    th { position: static; border: none; }
    th.pick { display: none; }
    tbody tr { display: flex; flex-wrap: wrap; align-items: baseline; gap: 2px 12px; position: relative;
      padding: 10px 0 10px 32px; border-bottom: 1px solid var(--divider-color); }
    td { border: none; padding: 0; }
    td.pick { position: absolute; left: 0; top: 8px; }
    td.cell-title { order: -1; width: 100%; min-width: 0; }
    td.indexer, td.num, td.quality { font-size: 0.9em; color: var(--secondary-text-color); }
    td[data-label]::before { content: attr(data-label) " "; opacity: 0.7; }
    td.why { width: 100%; }
    .summary { display: none; }
  }
`;

class HaulCard extends HTMLElement {
  static getConfigElement() {
    return document.createElement("haul-card-editor");
  }

  static getStubConfig() {
    return { view: "requests" };
  }

  constructor() {
    super();
    this.attachShadow({ mode: "open" });
    this._snapshot = null;
    this._library = null;
    this._unsubscribe = [];
    this._selection = null;
    this._files = null;
    this._gaps = null;
    this.shadowRoot.addEventListener("click", (event) => this._onClick(event));
    this.shadowRoot.addEventListener("change", (event) => this._onChange(event));
    this.shadowRoot.addEventListener("input", (event) => this._onInput(event));
  }

  setConfig(config) {
    const views = config.views ?? DEFAULTS.views;
    if (!Array.isArray(views) || !views.length || views.some((view) => !(view in VIEWS))) {
      throw new Error(`views must list some of: ${Object.keys(VIEWS).join(", ")}`);
    }
    const view = views.includes(config.view) ? config.view : views[0];
    const previous = this._config;
    this._config = { ...DEFAULTS, ...config, views, view };
    this._view = view;
    this._skeleton();
    if (
      previous &&
      (previous.config_entry_id !== this._config.config_entry_id ||
        previous.views.includes("library") !== views.includes("library"))
    ) {
      this._stop();
    }
    this._start();
  }

  set hass(hass) {
    this._hass = hass;
    this._start();
  }

  get hass() {
    return this._hass;
  }

  connectedCallback() {
    this._start();
  }

  disconnectedCallback() {
    this._stop();
  }

  getCardSize() {
    return 6;
  }

  getGridOptions() {
    return { columns: 12, min_columns: 6, rows: "auto" };
  }

  // ----- live data

  async _start() {
    const waiting = Date.now() < (this._retryAt ?? 0);
    if (this._unsubscribe.length || this._starting || waiting || !this._hass || !this._config || !this.isConnected) {
      return;
    }
    this._starting = true;
    try {
      this._entryId = this._config.config_entry_id ?? (await this._findEntry());
      if (!this._entryId) {
        this._retryAt = Date.now() + RETRY_MS;
        this._showError("No Haul engine is set up in Home Assistant yet.");
        return;
      }
      const feeds = { "haul/subscribe": "_snapshot" };
      if (this._config.views.includes("library")) feeds["haul/library/subscribe"] = "_library";
      for (const [type, field] of Object.entries(feeds)) {
        const update = (data) => {
          this[field] = data;
          this._renderBody();
          if (field === "_library") this._libraryChanged();
        };
        const message = { type, config_entry_id: this._entryId };
        this._unsubscribe.push(await this._hass.connection.subscribeMessage(update, message));
      }
      this._showError("");
      if (!this.isConnected) this._stop();
    } catch (err) {
      this._stop();
      this._retryAt = Date.now() + RETRY_MS;
      this._showError(`Cannot reach the Haul engine: ${err.message ?? err.code ?? err}`);
    } finally {
      this._starting = false;
    }
  }

  _stop() {
    for (const unsubscribe of this._unsubscribe) unsubscribe();
    this._unsubscribe = [];
  }

  async _findEntry() {
    const entries = await this._hass.callWS({ type: "config_entries/get", domain: "haul" });
    return entries.find((entry) => entry.state === "loaded")?.entry_id;
  }

  // Run a Haul action; true when done. A failure is told in the dialog that asked (quiet), else
  // in a toast.
  async _call(service, data, { quiet = false } = {}) {
    try {
      const call = { config_entry_id: this._entryId, ...data };
      await this._hass.callService("haul", service, call, undefined, false); // told here, once
      return true;
    } catch (err) {
      const message = err.message ?? String(err);
      if (quiet) return { error: message };
      this._notify(message);
      return false;
    }
  }

  _notify(message) {
    this.dispatchEvent(
      new CustomEvent("hass-notification", { detail: { message }, bubbles: true, composed: true }),
    );
  }

  // ----- rendering

  _skeleton() {
    const tabs = this._config.views
      .map(
        (view) => `<button class="tab" role="tab" data-action="view" data-view="${view}"
          aria-selected="${view === this._view}"><ha-icon icon="${VIEWS[view].icon}"></ha-icon>
          <span class="label">${VIEWS[view].label}</span><span class="count" data-count="${view}"></span>
          </button>`,
      )
      .join("");
    this.shadowRoot.innerHTML = `
      <style>${STYLE}</style>
      <ha-card>
        <div class="header">
          <div class="card-title">${esc(this._config.title)}</div>
          <div class="tabs" role="tablist">${this._config.views.length > 1 ? tabs : ""}</div>
        </div>
        <div class="error" hidden></div>
        <div class="stale" role="status" hidden></div>
        <form class="ask" hidden>
          <input name="query" type="search" placeholder="Request a film or series" aria-label="Title"
            maxlength="300" required>
          <select name="media_type" aria-label="Type">
            <option value="movie">Film</option><option value="tv">Series</option></select>
          <button class="btn primary" type="submit">Request</button>
        </form>
        <div class="body"></div>
      </ha-card>
      <dialog aria-labelledby="dialog-title">
        <div class="dialog-head">
          <h2 id="dialog-title"></h2>
          <button class="icon-btn" data-action="close" aria-label="Close">
            <ha-icon icon="mdi:close"></ha-icon></button>
        </div>
        <div class="dialog-body"></div>
        <div class="dialog-foot">
          <span class="message" role="alert"></span>
          <button class="btn" data-action="close">Cancel</button>
          <button class="btn" data-action="blocklist" hidden>Blocklist</button>
          <button class="btn primary" data-action="grab" disabled>Grab</button>
        </div>
      </dialog>`;
    this.shadowRoot.querySelector("dialog").addEventListener("close", () => {
      this._selection = null;
      this._files = null;
      this._gaps = null;
      this._choice = null;
    });
    this.shadowRoot.querySelector("form.ask").addEventListener("submit", (event) => {
      event.preventDefault();
      this._ask(new FormData(event.target));
    });
    this._renderBody();
  }

  _showError(message) {
    const box = this.shadowRoot.querySelector(".error");
    if (!box) return;
    box.textContent = message;
    box.hidden = !message;
  }

  _renderBody() {
    const body = this.shadowRoot.querySelector(".body");
    if (!body) return;
    for (const tab of this.shadowRoot.querySelectorAll(".tab")) {
      tab.setAttribute("aria-selected", String(tab.dataset.view === this._view));
    }
    const counts = {
      requests: this._snapshot?.requests.length,
      downloads: this._snapshot?.downloads.length,
    };
    for (const count of this.shadowRoot.querySelectorAll("[data-count]")) {
      const value = counts[count.dataset.count];
      count.textContent = value ? `(${value})` : "";
    }
    this._renderStale();
    this.shadowRoot.querySelector("form.ask").hidden = this._view !== "requests";
    const ready = this._view === "library" ? this._library : this._snapshot;
    if (!ready) {
      body.innerHTML = `<div class="empty">Loading…</div>`;
      return;
    }
    body.innerHTML = this[`_${this._view}Html`]();
  }

  _renderStale() {
    const box = this.shadowRoot.querySelector(".stale");
    const engine = this._snapshot?.engine;
    const stale = engine && !engine.available;
    box.hidden = !stale;
    if (!stale) return;
    const language = this._hass?.locale?.language ?? navigator.language;
    const time = { hour: "2-digit", minute: "2-digit" };
    const since = engine.since
      ? `has been unavailable since ${new Date(engine.since).toLocaleTimeString(language, time)}`
      : "is unavailable";
    box.textContent = `The Haul engine ${since}: this is what it last reported; it updates when the engine is back.`;
  }

  _requestsHtml() {
    const requests = [...this._snapshot.requests].sort((a, b) => b.id - a.id);
    if (!requests.length) return `<div class="empty">No requests under way.</div>`;
    const language = this._hass?.locale?.language ?? navigator.language;
    const rows = requests.map((request) => {
      const [label, color] = REQUEST_STATES[request.state] ?? [request.state, "--secondary-text-color"];
      const icon = request.media_type === "tv" ? "mdi:television-classic" : "mdi:movie-open";
      const poster = request.poster_url
        ? `<img src="${esc(request.poster_url)}" alt="" loading="lazy">`
        : `<ha-icon icon="${icon}"></ha-icon>`;
      const admin = this._hass?.user?.is_admin ?? false;
      const button = (action, text, primary = false) =>
        `<button class="btn${primary ? " primary" : ""}" data-action="${action}" data-id="${request.id}">${text}</button>`;
      const cancel = button("cancel", "Cancel");
      const actions = {
        pending: `${admin ? button("decline", "Decline") : ""}${button("approve", "Approve", true)}`,
        approved: cancel,
        searching: cancel,
        awaiting_selection: `${cancel}${button("search", "Search again")}${button("select", "Select release", true)}`,
      };
      for (const state of GRABBED_STATES) actions[state] = `${cancel}${button("releases", "Releases")}`;
      return `<li data-request="${request.id}">
        <div class="poster">${poster}</div>
        <div class="grow">
          <div class="name">${esc(titled(request))}</div>
          <div class="meta">${request.media_type === "tv" ? "Series" : "Movie"} ·
            ${esc(request.requested_by)} · ${esc(ago(request.created_at, language))}</div>
          <span class="badge" style="--badge: var(${color})">${esc(label)}</span>
          ${seasonChips(request, this._snapshot.downloads)}
        </div>
        <div class="actions">${actions[request.state] ?? ""}</div>
      </li>`;
    });
    return `<ul class="list requests">${rows.join("")}</ul>`;
  }

  _downloadsHtml() {
    const transfer = this._snapshot.transfer;
    const head = transfer
      ? `<div class="transfer">
          <span><ha-icon icon="mdi:arrow-down"></ha-icon>${bytes(transfer.download_rate)}/s</span>
          <span><ha-icon icon="mdi:arrow-up"></ha-icon>${bytes(transfer.upload_rate)}/s</span>
          ${transfer.alt_active ? `<span><ha-icon icon="mdi:speedometer-slow"></ha-icon>alternative limits</span>` : ""}
        </div>`
      : "";
    const downloads = [...this._snapshot.downloads].sort((a, b) => a.name.localeCompare(b.name));
    if (!downloads.length) return `${head}<div class="empty">Nothing is downloading.</div>`;
    const rows = downloads.map((download) => {
      const [action, icon, label] = download.stopped
        ? ["resume", "mdi:play", "Resume"]
        : ["pause", "mdi:pause", "Pause"];
      return `<li class="${download.stopped ? "stopped" : ""}" data-hash="${esc(download.hash)}">
        <div class="grow">
          <div class="name">${esc(download.name)}</div>
          ${bar(download.progress, download.name)}
          <div class="meta">${(download.progress * 100).toFixed(1)} % of ${bytes(download.size || null)} ·
            ↓ ${bytes(download.download_rate)}/s · ↑ ${bytes(download.upload_rate)}/s ·
            ETA ${eta(download)} · ${esc(DOWNLOAD_STATES[download.state] ?? download.state)}</div>
        </div>
        <button class="icon-btn" data-action="files" data-hash="${esc(download.hash)}"
          aria-label="Files" title="Files"><ha-icon icon="mdi:file-tree"></ha-icon></button>
        <button class="icon-btn" data-action="${action}" data-hash="${esc(download.hash)}"
          aria-label="${label}" title="${label}"><ha-icon icon="${icon}"></ha-icon></button>
      </li>`;
    });
    return `${head}<ul class="list downloads">${rows.join("")}</ul>`;
  }

  _libraryHtml() {
    const library = this._library;
    const rows = library.connectors.map((connector) => {
      const health = HEALTH_PROBLEMS.has(connector.health)
        ? `<span class="health">${esc(connector.health)}</span>`
        : connector.sync_failures
          ? `<span class="health">sync failing</span>`
          : "";
      return `<li data-connector="${esc(connector.id)}">
        <div class="grow">
          <div class="name">${esc(connector.name)}
            <span class="meta">${esc(connector.kind)}</span>${health}</div>
          ${bar(connector.completion, connector.name)}
          <div class="meta">${(connector.completion * 100).toFixed(1)} % complete ·
            ${connector.missing} missing ·
            ${connector.upcoming == null ? "" : `<span class="upcoming" title="Monitored, not out yet: searched once out">${connector.upcoming} upcoming</span> ·`}
            ${connector.cutoff_unmet} upgradable ·
            ${connector.queued} queued${connector.exhausted ? ` · ${connector.exhausted} given up` : ""}</div>
        </div>
        <div class="actions">
          <button class="btn" data-action="gaps" data-connector="${esc(connector.id)}">Gaps</button>
          <button class="btn" data-action="sweep" data-connector="${esc(connector.id)}"
            ${connector.enabled ? "" : "disabled"}>Sweep now</button>
        </div>
      </li>`;
    });
    const list = rows.length
      ? `<ul class="list library">${rows.join("")}</ul>`
      : `<div class="empty">No Sonarr, Radarr, Whisparr or Lidarr is connected.</div>`;
    return `${list}
      <div class="footer">
        <span>${library.search_queue} searches queued${library.sweeps_paused ? " · sweeps paused" : ""}</span>
        ${rows.length > 1 ? `<button class="btn" data-action="sweep">Sweep everything</button>` : ""}
      </div>`;
  }

  // ----- the release dialog

  async _openReleases(requestId) {
    const request = this._snapshot.requests.find((item) => item.id === requestId);
    this._selection = {
      request, replacing: GRABBED_STATES.has(request.state), candidates: null, chosen: null, sort: null,
    };
    const dialog = this._releasesMode();
    this._renderReleases();
    dialog.showModal();
    await this._loadReleases();
  }

  // A request with a grabbed release: pick another in its place (the grabbed one is blocklisted).
  _releasesMode() {
    const { request, replacing } = this._selection;
    const dialog = replacing
      ? this._dialog(`Releases · ${titled(request)}`, "replace", "Blocklist & grab")
      : this._dialog(`Select a release · ${titled(request)}`, "grab", "Grab");
    dialog.querySelector("[data-action=blocklist]").hidden = !replacing;
    return dialog;
  }

  async _loadReleases() {
    const selection = this._selection;
    try {
      const answer = await this._hass.callWS({
        type: "haul/candidates",
        request_id: selection.request.id,
        config_entry_id: this._entryId,
      });
      if (this._selection !== selection) return;
      const grabbed = answer.selected_candidate_id;
      selection.replacing = grabbed != null && GRABBED_STATES.has(answer.state);
      selection.grabbed = selection.replacing ? grabbed : null;
      this._releasesMode();
      const usable = answer.candidates.filter(
        (candidate) => !candidate.failed && candidate.id !== selection.grabbed,
      );
      selection.candidates = answer.candidates;
      selection.chosen =
        (usable.find((candidate) => !rejections(candidate).length) ?? usable[0])?.id ?? null;
    } catch (err) {
      if (this._selection !== selection) return;
      selection.error = err.message ?? String(err);
    }
    this._renderReleases();
  }

  _renderReleases() {
    const dialog = this.shadowRoot.querySelector("dialog");
    const selection = this._selection;
    const body = dialog.querySelector(".dialog-body");
    const admin = this._hass?.user?.is_admin ?? false;
    const refused = selection.replacing && !admin ? "Only administrators can blocklist a release." : "";
    dialog.querySelector(".message").textContent = selection.error ?? refused;
    dialog.querySelector(".primary").disabled = selection.chosen == null || selection.busy || !!refused;
    dialog.querySelector("[data-action=blocklist]").disabled = selection.busy || !!refused;
    if (!selection.candidates) {
      body.innerHTML = `<div class="empty">${selection.error ? "" : "Loading releases…"}</div>`;
      return;
    }
    if (!selection.candidates.length) {
      body.innerHTML = `<div class="empty">No releases found yet.</div>`;
      return;
    }
    const { sort } = selection;
    const column = COLUMNS.find((item) => item.key === sort?.key);
    const candidates = [...selection.candidates].sort((a, b) => {
      if (!column) return a.position - b.position;
      const [x, y] = [column.value(a), column.value(b)];
      return (x < y ? -1 : x > y ? 1 : a.position - b.position) * (sort.descending ? -1 : 1);
    });
    const head = COLUMNS.map((item) => {
      const sorted = sort?.key === item.key ? (sort.descending ? "descending" : "ascending") : "";
      return `<th class="${item.key}" ${sorted ? `aria-sort="${sorted}"` : ""}>
        <button data-action="sort" data-key="${item.key}">${item.label}</button></th>`;
    }).join("");
    const rows = candidates.map((candidate) => {
      const closed = candidate.failed || candidate.id === selection.grabbed;
      const classes = [
        candidate.id === selection.chosen ? "chosen" : "",
        rejections(candidate).length ? "rejected" : "",
        closed ? "failed" : "",
        candidate.id === selection.grabbed ? "grabbed" : "",
      ].join(" ");
      return `<tr class="${classes}" data-candidate="${candidate.id}">
        <td class="pick"><input type="radio" name="candidate" value="${candidate.id}"
          aria-label="${esc(candidate.title)}" ${candidate.id === selection.chosen ? "checked" : ""}
          ${closed ? "disabled" : ""}></td>
        <td class="indexer">${esc(candidate.indexer)}</td>
        <td class="cell-title">${esc(candidate.title)}<div class="summary">${esc(candidate.summary)}</div></td>
        <td class="num" data-label="Size">${bytes(candidate.size)}</td>
        <td class="num" data-label="Seeders">${candidate.seeders ?? "—"}</td>
        <td class="quality" data-label="Quality">${esc(candidate.quality)}</td>
        <td class="num" data-label="Score">${Math.round(candidate.haul_score)}</td>
        <td class="why">${why(candidate)}</td>
      </tr>`;
    });
    // Why earlier picks failed, said where the next one is chosen
    const failed = selection.candidates.filter((candidate) => candidate.failed);
    const failures = failed.length
      ? `<div class="failures"><strong>${failed.length === 1 ? "A release failed" : "Releases failed"}:</strong>
          <ul>${failed.map((c) => `<li>${esc(c.title)}: ${esc(c.failed)}</li>`).join("")}</ul></div>`
      : "";
    body.innerHTML = `${failures}<table><thead><tr><th class="pick"></th>${head}</tr></thead>
      <tbody>${rows.join("")}</tbody></table>`;
  }

  // Grab the chosen release; replacing, blocklist the grabbed one first (with a pick: in one go).
  async _grab(replace = false, pick = true) {
    const selection = this._selection;
    selection.busy = true;
    selection.error = null;
    this._renderReleases();
    const data = { request_id: selection.request.id };
    if (pick) data.candidate_id = selection.chosen;
    const service = replace ? "blocklist_release" : "select_release";
    const done = await this._call(service, data, { quiet: true });
    selection.busy = false;
    if (done === true) {
      this._closeReleases();
      const what = pick ? "Grabbing a release" : "Blocklisted the release";
      this._notify(`${what} for ${titled(selection.request)}`);
    } else {
      // The grab failed: say why here, where another release can be chosen (the grabbed one may
      // be blocklisted meanwhile: the releases are read again).
      selection.error = `The grab failed: ${done.error}`;
      await this._loadReleases();
    }
  }

  // ----- asking for a title: a title of several works offers them to choose from

  async _ask(form) {
    const data = { media_type: form.get("media_type"), query: String(form.get("query")).trim() };
    if (!data.query) return;
    const answer = await this._request(data);
    if (!answer) return;
    if (answer.request) {
      this.shadowRoot.querySelector("form.ask").reset();
      this._notify(`Requested ${titled(answer.request)}`);
      return;
    }
    this._choice = { ...data, candidates: answer.candidates };
    const dialog = this._dialog(`Which one? · ${data.query}`, "close", "Cancel");
    dialog.querySelector("[data-action=blocklist]").hidden = true;
    dialog.querySelector(".primary").hidden = true;
    this._renderChoice();
    dialog.showModal();
  }

  // request_media, answering its response (the request, or the works to choose from)
  async _request(data) {
    try {
      const answer = await this._hass.callService(
        "haul", "request_media", { config_entry_id: this._entryId, ...data }, undefined, false, true,
      );
      return answer.response;
    } catch (err) {
      if (this._choice) {
        this._choice.error = err.message ?? String(err);
        this._renderChoice();
      } else {
        this._notify(err.message ?? String(err));
      }
      return null;
    }
  }

  _renderChoice() {
    const dialog = this.shadowRoot.querySelector("dialog");
    const choice = this._choice;
    dialog.querySelector(".message").textContent = choice.error ?? "";
    const icon = choice.media_type === "tv" ? "mdi:television-classic" : "mdi:movie-open";
    const works = choice.candidates.map((work, index) => {
      const poster = work.poster_url
        ? `<img src="${esc(work.poster_url)}" alt="" loading="lazy">`
        : `<ha-icon icon="${icon}"></ha-icon>`;
      return `<li data-work="${index}">
        <div class="poster">${poster}</div>
        <div class="grow">
          <div class="name">${esc(titled(work))}</div>
          <div class="overview">${esc(work.overview)}</div>
          ${work.in_library ? `<div class="meta">Already in the library</div>` : ""}
        </div>
        <button class="btn primary" data-action="request-work" data-index="${index}"
          ${choice.busy ? "disabled" : ""}>Request</button>
      </li>`;
    });
    dialog.querySelector(".dialog-body").innerHTML = `<ul class="works">${works.join("")}</ul>`;
  }

  async _requestWork(index) {
    const choice = this._choice;
    const work = choice.candidates[index];
    const ids = choice.media_type === "tv" ? { tvdb_id: work.tvdb_id } : { tmdb_id: work.tmdb_id };
    const data = ids.tmdb_id || ids.tvdb_id ? ids : { query: work.title, year: work.year };
    choice.busy = true;
    this._renderChoice();
    const answer = await this._request({ media_type: choice.media_type, ...data });
    if (this._choice !== choice) return;
    choice.busy = false;
    if (answer?.request) {
      this._closeReleases();
      this.shadowRoot.querySelector("form.ask").reset();
      this._notify(`Requested ${titled(answer.request)}`);
    } else {
      this._renderChoice();
    }
  }

  _closeReleases() {
    this.shadowRoot.querySelector("dialog").close();
  }

  // ----- the files dialog: which files of a download to fetch

  _dialog(title, action, text) {
    const dialog = this.shadowRoot.querySelector("dialog");
    dialog.querySelector("h2").textContent = title;
    dialog.querySelector(".message").textContent = "";
    dialog.querySelector("[data-action=blocklist]").hidden = true;
    const primary = dialog.querySelector(".primary");
    primary.dataset.action = action;
    primary.textContent = text;
    primary.hidden = false;
    return dialog;
  }

  async _openFiles(hash) {
    const download = this._snapshot.downloads.find((item) => item.hash === hash);
    this._files = { hash, name: download.name, files: null, chosen: new Set() };
    const dialog = this._dialog(`Files · ${download.name}`, "save-files", "Save");
    this._renderFiles();
    dialog.showModal();
    try {
      const answer = await this._hass.callWS({
        type: "haul/files",
        info_hash: hash,
        config_entry_id: this._entryId,
      });
      if (this._files?.hash !== hash) return;
      this._files.files = answer.files;
      this._files.chosen = new Set(
        answer.files.filter((file) => file.priority > 0).map((file) => file.index),
      );
    } catch (err) {
      this._files.error = err.message ?? String(err);
    }
    this._renderFiles();
  }

  _renderFiles() {
    const dialog = this.shadowRoot.querySelector("dialog");
    const state = this._files;
    const body = dialog.querySelector(".dialog-body");
    dialog.querySelector(".message").textContent =
      state.error ?? (state.files && !state.chosen.size ? "Choose at least one file." : "");
    dialog.querySelector(".primary").disabled = !state.files || !state.chosen.size || state.busy;
    if (!state.files) {
      body.innerHTML = `<div class="empty">${state.error ? "" : "Loading files…"}</div>`;
      return;
    }
    if (!state.files.length) {
      body.innerHTML = `<div class="empty">The files are known once the download has its metadata.</div>`;
      return;
    }
    const folder = `${state.name}/`; // shown once, in the title
    const rows = state.files.map(
      (file) => `<tr data-file="${file.index}">
        <td class="pick"><input type="checkbox" name="file" value="${file.index}"
          aria-label="${esc(file.path)}" ${state.chosen.has(file.index) ? "checked" : ""}></td>
        <td class="cell-title">${esc(file.path.startsWith(folder) ? file.path.slice(folder.length) : file.path)}</td>
        <td class="num" data-label="Size">${bytes(file.size)}</td>
        <td class="num" data-label="Done">${(file.progress * 100).toFixed(1)} %</td>
      </tr>`,
    );
    body.innerHTML = `<table class="files"><thead><tr><th class="pick"></th><th>File</th>
      <th class="num">Size</th><th class="num">Done</th></tr></thead>
      <tbody>${rows.join("")}</tbody></table>`;
  }

  async _saveFiles() {
    const state = this._files;
    const was = new Set(state.files.filter((file) => file.priority > 0).map((file) => file.index));
    const changes = [
      ["skip", [...was].filter((index) => !state.chosen.has(index))],
      ["normal", [...state.chosen].filter((index) => !was.has(index))],
    ].filter(([, files]) => files.length);
    state.busy = true;
    this._renderFiles();
    let done = true;
    for (const [priority, files] of changes) {
      done = done && (await this._call("set_file_priority", { info_hash: state.hash, files, priority }));
    }
    state.busy = false;
    if (done) {
      this._closeReleases();
      this._notify(`Files of ${state.name} saved`);
    } else {
      this._renderFiles();
    }
  }

  // ----- the gap browser: one connector's gaps (and upcoming items), filtered and acted on

  _openGaps(connectorId) {
    const connector = this._library.connectors.find((item) => item.id === connectorId);
    this._gaps = {
      connector: connectorId,
      reason: "missing",
      state: "",
      query: "",
      sort: "released",
      descending: true,
      page: 1,
      answer: null,
      revision: connector.revision,
    };
    const dialog = this._dialog(`Gaps · ${connector.name}`, "reset-all", "Reset given-up");
    const option = (value, label, chosen) =>
      `<option value="${value}" ${value === chosen ? "selected" : ""}>${esc(label)}</option>`;
    const states = [option("", "Any state", ""),
      ...Object.entries(GAP_STATES).map(([value, [label]]) => option(value, label, ""))];
    dialog.querySelector(".dialog-body").innerHTML = `
      <div class="gap-tools">
        <select name="gap-reason" aria-label="Reason">${option("missing", "Missing", "missing")}
          ${option("upgrade", "Upgrades", "missing")}
          ${connector.upcoming == null ? "" : option("upcoming", "Upcoming", "missing")}</select>
        <select name="gap-state" aria-label="State">${states.join("")}</select>
        <input name="gap-query" type="search" placeholder="Search titles" aria-label="Search titles">
        <select name="gap-sort" aria-label="Sort">${Object.entries(GAP_SORTS)
          .map(([value, label]) => option(value, label, "released")).join("")}</select>
      </div>
      <div class="gap-counts" aria-live="polite"></div>
      <div class="gap-table"><div class="empty">Loading gaps…</div></div>`;
    this._renderGapCounts();
    dialog.showModal();
    this._loadGaps();
  }

  async _loadGaps() {
    const gaps = this._gaps;
    if (!gaps) return;
    const asked = { ...gaps };
    const message = {
      type: "haul/library/gaps",
      config_entry_id: this._entryId,
      connector_id: gaps.connector,
      reason: gaps.reason,
      query: gaps.query,
      sort: gaps.sort,
      descending: gaps.descending,
      page: gaps.page,
      ...(gaps.state && gaps.reason !== "upcoming" ? { state: gaps.state } : {}),
    };
    try {
      const answer = await this._hass.callWS(message);
      const now = this._gaps;
      const same = ["connector", "reason", "state", "query", "sort", "descending", "page"]
        .every((key) => now?.[key] === asked[key]);
      if (!same) return; // a newer question is on its way
      now.answer = answer;
      now.error = null;
    } catch (err) {
      if (this._gaps) this._gaps.error = err.message ?? String(err);
    }
    this._renderGaps();
  }

  _libraryChanged() {
    const gaps = this._gaps;
    if (!gaps) return;
    this._renderGapCounts();
    const connector = this._library.connectors.find((item) => item.id === gaps.connector);
    if (connector && connector.revision !== gaps.revision) {
      gaps.revision = connector.revision;
      clearTimeout(this._gapsTimer); // something happened in this library: the list follows it
      this._gapsTimer = setTimeout(() => this._gaps === gaps && this._loadGaps(), GAPS_RELOAD_MS);
    }
  }

  _renderGapCounts() {
    const dialog = this.shadowRoot.querySelector("dialog");
    const counts = dialog.querySelector(".gap-counts");
    const connector = this._library?.connectors.find((item) => item.id === this._gaps?.connector);
    if (!counts || !connector) return;
    const upcoming = connector.upcoming == null ? "" : `${connector.upcoming} upcoming · `;
    counts.textContent = `${connector.missing} missing · ${upcoming}` +
      `${connector.cutoff_unmet} upgradable · ` +
      `${connector.queued} queued · ${connector.exhausted} given up · ` +
      `${connector.searches_today} searches today`;
    dialog.querySelector(".primary").disabled = !connector.exhausted;
  }

  _renderGaps() {
    const dialog = this.shadowRoot.querySelector("dialog");
    const gaps = this._gaps;
    const table = dialog.querySelector(".gap-table");
    if (!gaps || !table) return;
    dialog.querySelector(".message").textContent = gaps.error ?? "";
    const answer = gaps.answer;
    if (!answer) return;
    if (!answer.records.length) {
      table.innerHTML = `<div class="empty">No gaps match.</div>`;
      return;
    }
    const language = this._hass?.locale?.language ?? navigator.language;
    const rows = answer.records.map((gap) => {
      if (gap.reason === "upcoming") return upcomingRow(gap, language);
      const [label, color] = GAP_STATES[gap.state] ?? ["Not planned", "--secondary-text-color"];
      const title = gapTitle(gap);
      const next = gap.state === "cooldown" && gap.next_eligible_at ? ` · ${ago(gap.next_eligible_at, language)}` : "";
      const outcome = gap.outcome ? OUTCOMES[gap.outcome] ?? gap.outcome : "—";
      const boosted = gap.boost > 0;
      return `<tr data-gap="${gap.id}" class="${boosted ? "boosted" : ""}">
        <td class="cell-title">${esc(title)}</td>
        <td data-label="State"><span class="badge" style="--badge: var(${color})">${esc(label)}</span>${esc(next)}</td>
        <td class="num" data-label="Attempts">${gap.attempts}</td>
        <td data-label="Last search">${esc(outcome)}</td>
        <td class="gap-actions">
          <button class="icon-btn" data-action="gap-search" data-item="${gap.id}" title="Search now"
            aria-label="Search now" ${["queued", "searching"].includes(gap.state) ? "disabled" : ""}>
            <ha-icon icon="mdi:magnify"></ha-icon></button>
          <button class="icon-btn" data-action="gap-boost" data-item="${gap.id}"
            data-boost="${boosted ? 0 : BOOST}" title="${boosted ? "Unboost" : "Boost"}"
            aria-label="${boosted ? "Unboost" : "Boost"}" aria-pressed="${boosted}" ${gap.state ? "" : "disabled"}>
            <ha-icon icon="${boosted ? "mdi:arrow-up-bold" : "mdi:arrow-up-bold-outline"}"></ha-icon></button>
          <button class="icon-btn" data-action="gap-reset" data-item="${gap.id}" title="Reset"
            aria-label="Reset" ${["exhausted", "cooldown"].includes(gap.state) ? "" : "disabled"}>
            <ha-icon icon="mdi:restore"></ha-icon></button>
        </td>
      </tr>`;
    });
    const pages = Math.max(1, Math.ceil(answer.total / answer.page_size));
    table.innerHTML = `<table class="gaps"><thead><tr><th>Title</th><th>State</th>
      <th class="num">Attempts</th><th>Last search</th><th></th></tr></thead>
      <tbody>${rows.join("")}</tbody></table>
      <div class="gap-pages"><span>${answer.total} gaps · page ${answer.page} of ${pages}</span>
        <button class="btn" data-action="gaps-page" data-page="${answer.page - 1}"
          ${answer.page > 1 ? "" : "disabled"}>Previous</button>
        <button class="btn" data-action="gaps-page" data-page="${answer.page + 1}"
          ${answer.page < pages ? "" : "disabled"}>Next</button></div>`;
  }

  async _gapAction(service, data, done) {
    if (await this._call(service, data)) this._notify(done);
    this._loadGaps();
  }

  _filterGaps(changes) {
    Object.assign(this._gaps, changes, { page: changes.page ?? 1 });
    this._loadGaps();
  }

  // ----- events

  _onInput(event) {
    if (event.target.name !== "gap-query" || !this._gaps) return;
    clearTimeout(this._queryTimer);
    const query = event.target.value.trim();
    this._queryTimer = setTimeout(() => this._filterGaps({ query }), QUERY_DELAY_MS);
  }

  _onChange(event) {
    if (event.target.name === "candidate") {
      this._selection.chosen = Number(event.target.value);
      this._renderReleases();
    } else if (["gap-reason", "gap-state", "gap-sort"].includes(event.target.name)) {
      const value = event.target.value;
      const key = event.target.name.slice(4);
      // upcoming items are never searched: they have no search state to filter by
      if (key === "reason") this.shadowRoot.querySelector("select[name=gap-state]").disabled = value === "upcoming";
      this._filterGaps(key === "sort" ? { sort: value, descending: !["title"].includes(value) } : { [key]: value });
    } else if (event.target.name === "file") {
      const index = Number(event.target.value);
      if (event.target.checked) this._files.chosen.add(index);
      else this._files.chosen.delete(index);
      this._renderFiles();
    }
  }

  _onClick(event) {
    const row = event.target.closest("tr[data-candidate]");
    if (row && !row.classList.contains("failed") && !event.target.closest("input")) {
      this._selection.chosen = Number(row.dataset.candidate);
      this._renderReleases();
      return;
    }
    const button = event.target.closest("button[data-action]");
    if (!button || button.disabled) return;
    const { action, id, hash, connector, view, key, index, item, page } = button.dataset;
    const handlers = {
      view: () => {
        this._view = view;
        this._renderBody();
      },
      select: () => this._openReleases(Number(id)),
      releases: () => this._openReleases(Number(id)),
      approve: () => this._call("approve_request", { request_id: Number(id) }),
      decline: () => this._call("decline_request", { request_id: Number(id) }),
      cancel: () => this._call("cancel_request", { request_id: Number(id) }),
      search: () => this._call("search_again", { request_id: Number(id) }),
      pause: () => this._call("pause_download", { info_hash: hash }),
      resume: () => this._call("resume_download", { info_hash: hash }),
      files: () => this._openFiles(hash),
      "save-files": () => this._saveFiles(),
      sweep: () => this._call("run_sweep", connector ? { connector_id: connector } : {}),
      gaps: () => this._openGaps(connector),
      "gaps-page": () => this._filterGaps({ page: Number(page) }),
      "gap-search": () => this._gapAction("search_gap", { item_id: Number(item) }, "Searching now"),
      "gap-boost": () =>
        this._gapAction("boost_gap", { item_id: Number(item), boost: Number(button.dataset.boost) },
          "Priority changed"),
      "gap-reset": () =>
        this._gapAction("reset_gaps", { connector_id: this._gaps.connector, item_id: Number(item) }, "Reset"),
      "reset-all": () =>
        this._gapAction("reset_gaps", { connector_id: this._gaps.connector },
          "Given-up gaps will be searched again"),
      sort: () => {
        const sort = this._selection.sort;
        const numeric = COLUMNS.find((item) => item.key === key).numeric ?? false;
        this._selection.sort = { key, descending: sort?.key === key ? !sort.descending : numeric };
        this._renderReleases();
      },
      close: () => this._closeReleases(),
      grab: () => this._grab(),
      replace: () => this._grab(true),
      blocklist: () => this._grab(true, false),
      "request-work": () => this._requestWork(Number(index)),
    };
    handlers[action]();
  }
}

const EDITOR_SCHEMA = [
  { name: "title", selector: { text: {} } },
  { name: "config_entry_id", selector: { config_entry: { integration: "haul" } } },
  {
    name: "views",
    selector: {
      select: {
        multiple: true,
        mode: "list",
        options: Object.entries(VIEWS).map(([value, { label }]) => ({ value, label })),
      },
    },
  },
  {
    name: "view",
    selector: {
      select: {
        mode: "dropdown",
        options: Object.entries(VIEWS).map(([value, { label }]) => ({ value, label })),
      },
    },
  },
];
const EDITOR_LABELS = {
  title: "Title",
  config_entry_id: "Haul engine (the first one when empty)",
  views: "Views",
  view: "View shown first",
};

class HaulCardEditor extends HTMLElement {
  setConfig(config) {
    this._config = config;
    this._render();
  }

  set hass(hass) {
    this._hass = hass;
    this._render();
  }

  _render() {
    if (!this._hass || !this._config) return;
    if (!this._form) {
      this._form = document.createElement("ha-form");
      this._form.schema = EDITOR_SCHEMA;
      this._form.computeLabel = (field) => EDITOR_LABELS[field.name];
      this._form.addEventListener("value-changed", (event) => this._changed(event.detail.value));
      this.appendChild(this._form);
    }
    this._form.hass = this._hass;
    this._form.data = { ...DEFAULTS, ...this._config };
  }

  _changed(value) {
    const config = { ...this._config };
    for (const [name, given] of Object.entries(value)) {
      const unset = given === "" || given == null || (name in DEFAULTS && String(given) === String(DEFAULTS[name]));
      if (unset) delete config[name];
      else config[name] = given;
    }
    this._config = config;
    this.dispatchEvent(new CustomEvent("config-changed", { detail: { config }, bubbles: true, composed: true }));
  }
}

customElements.define("haul-card", HaulCard);
customElements.define("haul-card-editor", HaulCardEditor);
window.customCards = window.customCards || [];
window.customCards.push({
  type: "haul-card",
  name: "Haul",
  description: "Media requests with release selection, downloads and library gaps from Haul.",
  preview: true,
  documentationURL: "https://github.com/haul-hub/haul",
});
