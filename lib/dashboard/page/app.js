// The dashboard page: the state on load, then server-sent events; the charts are the
// server's Vega-Lite specs (the same the PNG files are drawn from), re-fetched while counts change.
const token = new URLSearchParams(location.search).get('token');
const withToken = (path) => (token ? `${path}?token=${encodeURIComponent(token)}` : path);
const SEVERITIES = ['low', 'medium', 'high', 'critical'];
const SHOWN = 200;
const CHART_REFRESH_MS = 2000;

const state = { anomalies: [], incidents: [], events: 0, keep: { anomalies: 0, incidents: 0 } };
const $ = (id) => document.getElementById(id);
const time = (us) => new Date(us / 1000).toISOString().replace('T', ' ').slice(0, 19);
const cell = (text, cls) => {
  const td = document.createElement('td');
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
};

function filters() {
  const host = $('filter-host').value.trim();
  const minSeverity = SEVERITIES.indexOf($('filter-severity').value);
  const windowS = Number($('filter-time').value);
  const latest = Math.max(0, ...state.anomalies.map((a) => a.ts), ...state.incidents.map((i) => i.ts_end));
  const from = windowS > 0 ? latest - windowS * 1e6 : -Infinity;
  return { host, minSeverity, from };
}

function render() {
  const f = filters();
  const keep = (ips, severity, ts) => (!f.host || ips.some((ip) => ip.includes(f.host))) && SEVERITIES.indexOf(severity) >= f.minSeverity && ts >= f.from;
  const anomalies = state.anomalies.filter((a) => keep([a.src_ip, a.dst_ip], a.severity, a.ts)).slice(-SHOWN).reverse();
  const incidents = state.incidents.filter((i) => keep([i.src_ip, ...i.victims], i.severity, i.ts_end)).slice(-SHOWN).reverse();
  $('anomalies').tBodies[0].replaceChildren(
    ...anomalies.map((a) => {
      const tr = document.createElement('tr');
      tr.append(cell(time(a.ts)), cell(a.severity, `sev-${a.severity}`), cell(`${a.src_ip}:${a.src_port}`), cell(`${a.dst_ip}:${a.dst_port}`), cell(String(a.protocol)), cell(a.score.toFixed(3)), cell(a.reasons.join('; ')));
      return tr;
    }),
  );
  $('incidents').tBodies[0].replaceChildren(
    ...incidents.map((i) => {
      const tr = document.createElement('tr');
      const source = i.source_count > 1 ? `${i.source_count} sources` : i.src_ip;
      tr.append(cell(time(i.ts_start)), cell(time(i.ts_end)), cell(i.severity, `sev-${i.severity}`), cell(source), cell(i.behaviour), cell(String(i.flows)), cell(String(i.victim_count)), cell(i.top_reasons.join('; ')));
      return tr;
    }),
  );
}

function showCounts(c) {
  $('count-flows').textContent = c.flows.toLocaleString('en-US');
  $('count-anomalies').textContent = c.anomalies.toLocaleString('en-US');
  $('count-incidents').textContent = c.incidents.toLocaleString('en-US');
  $('count-sources').textContent = c.sources.toLocaleString('en-US');
}

let chartsDirty = true;
async function refreshCharts() {
  if (!chartsDirty) return;
  chartsDirty = false;
  const specs = await (await fetch(withToken('api/specs'))).json();
  const opts = { actions: false, renderer: 'svg' };
  await Promise.all([vegaEmbed('#timeline', specs.timeline, opts), vegaEmbed('#scatter', specs.scatter, opts), vegaEmbed('#top-sources', specs.topSources, opts)]);
  document.body.dataset.chartsDrawn = String(Number(document.body.dataset.chartsDrawn ?? 0) + 1);
}

async function start() {
  const snapshot = await (await fetch(withToken('api/state'))).json();
  state.anomalies = snapshot.anomalies;
  state.incidents = snapshot.incidents;
  state.keep = snapshot.keep;
  showCounts(snapshot.counts);
  render();
  await refreshCharts();
  const events = new EventSource(withToken('events'));
  events.onopen = () => ($('status').textContent = 'live');
  events.onerror = () => ($('status').textContent = 'disconnected (retrying)');
  const received = () => (document.body.dataset.events = String(++state.events));
  events.addEventListener('anomalies', (e) => {
    state.anomalies = state.anomalies.concat(JSON.parse(e.data)).slice(-state.keep.anomalies);
    received();
    render();
  });
  events.addEventListener('incidents', (e) => {
    state.incidents = state.incidents.concat(JSON.parse(e.data)).slice(-state.keep.incidents);
    received();
    render();
  });
  events.addEventListener('counts', (e) => {
    showCounts(JSON.parse(e.data));
    chartsDirty = true;
  });
  setInterval(() => void refreshCharts().catch((err) => ($('status').textContent = `charts: ${err.message}`)), CHART_REFRESH_MS);
  for (const id of ['filter-host', 'filter-severity', 'filter-time']) $(id).addEventListener('input', render);
}

start().catch((err) => ($('status').textContent = `error: ${err.message}`));
