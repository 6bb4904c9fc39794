/**
 * <stats-panel>: the server's live figures. Totals from GET /api/stats come in
 * with every poll; `rates` (stats-rates.ts) turns consecutive ones into per
 * second figures. Drops are listed by reason, busiest first.
 */
import { LitElement, html, nothing, type TemplateResult } from 'lit';
import type { Stats } from '../api/types.ts';
import { formatBitRate, formatBytes, formatDuration, formatMs, formatRate } from '../shared/format.ts';
import { styles } from './stats-panel.styles.ts';
import type { StatsRates } from './stats-rates.ts';

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
    const rate = (v: number | null | undefined, f: (n: number) => string = formatRate): string => (v == null ? '–' : f(v));
    return html`<section aria-labelledby="stats-title">
      <div class="section-head"><h2 id="stats-title">Server</h2></div>
      ${s === null
        ? html`<p class="empty">Loading…</p>`
        : html`<dl class="figures">
              ${figure('Uptime', formatDuration(s.uptimeSeconds))}
              ${figure('Sessions', String(s.sessions), s.controlConnections === 1 ? '1 control lane' : `${s.controlConnections} control lanes`)}
              ${figure('Memory (RSS)', formatBytes(s.process.rssBytes), `heap ${formatBytes(s.process.heapUsedBytes)}`)}
              ${figure('Datagrams in', rate(r?.datagramsIn), rate(r?.bytesIn, formatBitRate))}
              ${figure('Datagrams out', rate(r?.forwarded), rate(r?.bytesOut, formatBitRate))}
              ${figure('Relay hold p99', r?.hold ? `≤ ${formatMs(r.hold.p99)}` : '–', r?.hold ? `median ≤ ${formatMs(r.hold.p50)}` : 'no voice sent')}
              ${figure(
                'Control',
                `${s.control.messagesIn.toLocaleString('en')} msgs`,
                `${s.control.invalid} invalid · ${s.control.rateLimited} rate-limited · ${s.control.closedForAbuse} closed`,
              )}
            </dl>
            ${this.#renderDrops(r)}
            ${s.process.unhandledRejections > 0
              ? html`<p class="error" role="status">${s.process.unhandledRejections} unhandled promise rejections since start: see the server log.</p>`
              : nothing}`}
    </section>`;
  }

  #renderDrops(r: StatsRates | null): TemplateResult {
    // Only reasons that happened: the server lists every reason it counts, mostly at 0.
    const drops = (r?.drops ?? []).filter((d) => d.total > 0);
    return html`<div class="drops">
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
                  <td data-label="Per second" class="num">${d.perSecond === null ? '–' : formatRate(d.perSecond)}</td>
                  <td data-label="Since start" class="num">${d.total.toLocaleString('en')}</td>
                </tr>`,
              )}
            </tbody>
          </table>`}
    </div>`;
  }
}

function figure(label: string, value: string, detail = ''): TemplateResult {
  return html`<div class="figure">
    <dt>${label}</dt>
    <dd class="num">${value}</dd>
    ${detail ? html`<dd class="detail num">${detail}</dd>` : nothing}
  </div>`;
}
