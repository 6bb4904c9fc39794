/**
 * <stats-panel>: the server's live figures. Totals from GET /api/stats come in
 * with every poll; `rates` (stats-rates.ts) turns consecutive ones into per
 * second figures. Drops are listed by reason, busiest first; the relay's
 * threads (shards) one per row, with the share of a core each used.
 */
import { LitElement, html, nothing, type TemplateResult } from 'lit';
import type { Stats } from '../api/types.ts';
import { formatBitRate, formatBytes, formatDuration, formatMs, formatPercent, formatRate } from '../shared/format.ts';
import { styles } from './stats-panel.styles.ts';
import type { ShardRow, StatsRates } from './stats-rates.ts';

export class StatsPanel extends LitElement {
  static override styles = styles;
  static override properties = {
    stats: { attribute: false },
    rates: { attribute: false },
  };

  declare stats: Stats | null;
  declare rates: StatsRates | null;

  constructor() {
    super();
    this.stats = null;
    this.rates = null;
  }

  override render(): TemplateResult {
    const s = this.stats;
    const r = this.rates;
    return html`<section aria-labelledby="stats-title">
      <div class="section-head"><h2 id="stats-title">Server</h2></div>
      ${s === null
        ? html`<p class="empty">Loading…</p>`
        : html`<dl class="figures">
              ${figure('Uptime', formatDuration(s.uptimeSeconds))}
              ${figure('Sessions', String(s.sessions), s.controlConnections === 1 ? '1 control lane' : `${s.controlConnections} control lanes`)}
              ${figure('Memory (RSS)', formatBytes(s.process.rssBytes), `heap ${formatBytes(s.process.heapUsedBytes)}`)}
              ${figure('Datagrams in', shown(r?.datagramsIn), shown(r?.bytesIn, formatBitRate))}
              ${figure('Datagrams out', shown(r?.forwarded), shown(r?.bytesOut, formatBitRate))}
              ${figure('Relay hold p99', r?.hold ? `≤ ${formatMs(r.hold.p99)}` : '–', r?.hold ? `median ≤ ${formatMs(r.hold.p50)}` : 'no voice sent')}
              ${figure(
                'Control',
                `${s.control.messagesIn.toLocaleString('en')} msgs`,
                `${s.control.invalid} invalid · ${s.control.rateLimited} rate-limited · ${s.control.closedForAbuse} closed`,
              )}
            </dl>
            ${this.#renderDrops(r)} ${this.#renderShards(r)}
            ${s.process.unhandledRejections > 0
              ? html`<p class="error" role="status">${s.process.unhandledRejections} unhandled promise rejections since start: see the server log.</p>`
              : nothing}`}
    </section>`;
  }

  #renderDrops(r: StatsRates | null): TemplateResult {
    // Only reasons that happened: the server lists every reason it counts, mostly at 0.
    const drops = (r?.drops ?? []).filter((d) => d.total > 0);
    return html`<div class="table-block">
      <h3 id="drops-title">Dropped datagrams</h3>
      ${drops.length === 0
        ? html`<p class="empty">None since the server started.</p>`
        : html`<table class="keep" aria-labelledby="drops-title">
            <thead>
              <tr><th scope="col">Reason</th><th scope="col">Per second</th><th scope="col">Since start</th></tr>
            </thead>
            <tbody>
              ${drops.map(
                (d) => html`<tr>
                  <td data-label="Reason">${d.reason}</td>
                  <td data-label="Per second" class="num">${shown(d.perSecond)}</td>
                  <td data-label="Since start" class="num">${d.total.toLocaleString('en')}</td>
                </tr>`,
              )}
            </tbody>
          </table>`}
    </div>`;
  }

  #renderShards(r: StatsRates | null): TemplateResult | typeof nothing {
    const rows = r?.shards ?? [];
    if (rows.length === 0) return nothing;
    return html`<div class="table-block">
      <h3 id="shards-title">Relay threads</h3>
      <table aria-labelledby="shards-title" class="shards">
        <thead>
          <tr>
            <th scope="col">Thread</th>
            <th scope="col">Channels</th>
            <th scope="col">Members</th>
            <th scope="col">In</th>
            <th scope="col">Out</th>
            <th scope="col">Dropped</th>
            <th scope="col" title="Share of one core the thread used over the last poll">CPU</th>
            <th scope="col" title="Share of the time the thread was ready to run but waited for a CPU (other work on the core, a CPU limit)">Waited for CPU</th>
            <th scope="col">State</th>
          </tr>
        </thead>
        <tbody>
          ${rows.map(
            (t) => html`<tr data-shard=${t.index}>
              <th scope="row" data-label="Thread">${t.index}</th>
              <td data-label="Channels" class="num">${t.channels}</td>
              <td data-label="Members" class="num">${t.members}</td>
              <td data-label="In" class="num">${shown(t.datagramsIn)}</td>
              <td data-label="Out" class="num">${shown(t.forwarded)}</td>
              <td data-label="Dropped" class="num">${shown(t.drops)}</td>
              <td data-label="CPU" class="num">${shown(t.cpu, formatPercent)}</td>
              <td data-label="Waited for CPU" class="num">${shown(t.cpuWait, formatPercent)}</td>
              <td data-label="State">${shardState(t)}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    </div>`;
  }
}

/** "running", or what an admin should look at: overload mode (shedding late frames), restarts after a crash or hang. */
function shardState(t: ShardRow): string {
  const parts = [t.overloaded ? 'overloaded' : 'running'];
  if (t.restarts > 0) parts.push(t.restarts === 1 ? 'restarted once' : `restarted ${t.restarts}×`);
  return parts.join(' · ');
}

/** `v` formatted, or a dash where it is not known (yet). */
function shown(v: number | null | undefined, format: (n: number) => string = formatRate): string {
  return v == null ? '–' : format(v);
}

function figure(label: string, value: string, detail = ''): TemplateResult {
  return html`<div class="figure">
    <dt>${label}</dt>
    <dd class="num">${value}</dd>
    ${detail ? html`<dd class="detail num">${detail}</dd>` : nothing}
  </div>`;
}
