// The gateway's sessions: for each model, sessions opened on first use and reused by every
// request, topped up before they run dry, rolled before they expire, closed on shutdown and
// settled once due. A request takes one session for itself (a provider serves a session's
// requests one at a time); up to `perModel` sessions serve a model at once, more requests wait
// for one. Where no session can be opened (no provider covers it, the chain refuses it, the
// provider's node cannot be reached) the model is served by one-shot jobs for a while, and the
// log says so.
import { sendAndInclude } from './chain.mjs';
import { allProviders } from './rpc.mjs';
import { endpointOf, newSessionKey, openSession, SessionClient } from './sessions.mjs';

/** How long a model whose session could not be opened is served by jobs before trying again. */
const JOBS_FOR_MS = 60_000;


export class SessionPool {
  /**
   * `requests`: a session's budget, and each top-up, pays that many requests at its largest
   * `maxTokens` and its price; `lifetime` in blocks;
   * `maxTokens`, the most tokens a session's requests may ask (at least the request's own);
   * `margin`, blocks before expiry at which a session takes no more requests; `url`, where
   * a provider with no declared endpoint is reached.
   */
  constructor(api, payer, { url, requests = 32, lifetime = 600, maxTokens = 256, perModel = 2, margin = 3, log }) {
    Object.assign(this, { api, payer, url, requests, lifetime, maxTokens, perModel, margin, log });
    this.models = new Map(); // model id -> { entries: [], jobsUntil, opening, waiters }
    this.closing = new Map(); // session id -> block from which it can be settled
    this.settling = new Set(); // session ids whose settlement is in flight
    this.best = 0;
    this.stopped = false;
  }

  /** Follows new blocks (expiry, settlement) and settles the payer's sessions already due. */
  async start() {
    this.unsubscribe = await this.api.rpc.chain.subscribeNewHeads((h) => {
      this.best = h.number.toNumber();
      this.settleDue().catch((e) => this.log.warn({ err: e.message }, 'settling sessions failed; trying again next block'));
    });
    this.best = (await this.api.rpc.chain.getHeader()).number.toNumber();
    // Sessions an earlier run of this gateway closed, or that expired, wait for settlement.
    for (const [key, value] of await this.api.query.sessions.sessions.entries()) {
      const s = value.unwrap();
      if (s.owner.toString() !== this.payer.address) continue;
      const id = key.args[0].toBigInt();
      const from = s.state.isClosing ? s.state.asClosing.ends.toNumber() : s.expires.toNumber() + this.api.consts.sessions.grace.toNumber();
      this.closing.set(id, from);
    }
  }

  state(model) {
    if (!this.models.has(model)) this.models.set(model, { entries: [], jobsUntil: 0, opening: null, waiters: [] });
    return this.models.get(model);
  }

  /** Whether `e`'s session still takes requests (far enough from its expiry). */
  live(e) {
    return this.best + this.margin < e.record.expires.toNumber();
  }

  /** Whether `e`'s limits allow a request of `maxTokens`. */
  allows(e, maxTokens) {
    return maxTokens <= e.record.limits.maxTokens.toNumber();
  }

  /** Whether `e`'s budget, as it is, pays a request of `maxTokens`. */
  affordable({ client, budget }, maxTokens) {
    return BigInt(Math.max(client.owed, client.spent + maxTokens)) * client.price <= budget;
  }

  /**
   * A session of `model` (a registered model as `allModels` lists it) for one request of
   * `maxTokens`, taken for it until `release(entry)`; `null` when the request goes as a job.
   */
  async acquire(model, maxTokens) {
    const st = this.state(model.id);
    for (;;) {
      if (this.stopped || Date.now() < st.jobsUntil) return null;
      // Near their expiry: retired (closed), a new one takes their place.
      for (const e of st.entries.filter((x) => !x.busy && !this.live(x))) this.retire(st, e);
      const able = st.entries.filter((x) => this.live(x) && this.allows(x, maxTokens));
      for (const e of able.filter((x) => !x.busy && !this.affordable(x, maxTokens))) {
        e.busy = true;
        try {
          await this.topUp(e, maxTokens);
        } catch (err) {
          this.log.warn({ session: e.client.id.toString(), err: err.message }, 'top-up failed; rolling to a new session');
          this.retire(st, e);
        } finally {
          e.busy = false;
        }
      }
      const idle = st.entries.find((x) => !x.busy && this.live(x) && this.allows(x, maxTokens) && this.affordable(x, maxTokens));
      if (idle) {
        idle.busy = true;
        return idle;
      }
      if (st.entries.length + (st.opening ? 1 : 0) < this.perModel) {
        st.opening = this.open(model, maxTokens).finally(() => { st.opening = null; });
        const opened = await st.opening;
        if (!opened) return null;
        st.entries.push(opened);
        this.wake(st);
        continue;
      }
      // As many sessions as allowed, none with limits for this request: it goes as a job.
      if (!st.opening && !st.entries.some((x) => this.allows(x, maxTokens))) return null;
      await new Promise((resolve) => st.waiters.push(resolve));
    }
  }

  /** Gives a session back after a request; `broken` when its client and provider may disagree. */
  release(model, e, { broken = false } = {}) {
    const st = this.state(model);
    e.busy = false;
    if (broken) this.retire(st, e);
    else if (e.budget - BigInt(e.client.owed) * e.client.price < e.unit / 4n) {
      // Under a quarter of a budget left: top up in the background, before a request waits on it.
      e.busy = true;
      this.topUp(e, 0).catch((err) => this.log.warn({ session: e.client.id.toString(), err: err.message }, 'top-up failed'))
        .finally(() => { e.busy = false; this.wake(st); });
    }
    this.wake(st);
  }

  wake(st) {
    for (const w of st.waiters.splice(0)) w();
  }

  /** Adds a budget (or what this request needs, if more) to `e`'s session. */
  async topUp(e, maxTokens) {
    const need = BigInt(Math.max(e.client.owed, e.client.spent + maxTokens)) * e.client.price - e.budget;
    const amount = need > e.unit ? need : e.unit;
    await sendAndInclude(this.api, this.api.tx.sessions.topUp(e.client.id, amount), this.payer);
    e.budget += amount;
    this.log.info({ session: e.client.id.toString(), amount: amount.toString() }, 'session topped up');
  }

  /** Serves `model` by one-shot jobs for a while, saying why. */
  useJobs(model, why) {
    this.state(model).jobsUntil = Date.now() + JOBS_FOR_MS;
    this.log.warn({ model, why }, `no session for model ${model}: serving it by one-shot jobs for ${JOBS_FOR_MS / 1000} s`);
  }

  /** Opens a session of `model`; `null` (and jobs for a while) when none can be opened. */
  async open(model, maxTokens) {
    const st = this.state(model.id);
    // A request asking more than the gateway's usual limit that no provider covers goes as a
    // job alone; anything else leaves the model to jobs for a while.
    const jobs = (why) => {
      if (maxTokens <= this.maxTokens) this.useJobs(model.id, why);
      else this.log.info({ model: model.id, why }, 'no session for this request: it goes as a one-shot job');
      return null;
    };
    const eligible = (await allProviders(this.api, model.id)).filter((p) => p.eligible && p.terms);
    const limit = Math.max(maxTokens, this.maxTokens);
    // The draw takes any provider whose terms cover the limits: ask what the most generous covers.
    const covering = eligible.filter((p) => p.terms.maxOutputTokens >= limit && p.terms.contextLength > limit + 2);
    if (covering.length === 0) return jobs(`no eligible provider declares ${limit} output tokens`);
    const context = Math.max(...covering.map((p) => p.terms.contextLength));
    const limits = { promptTokens: Math.min(context, model.contextLength) - 2 - limit, maxTokens: limit };
    if (limits.promptTokens < 1) return jobs(`the model's context leaves no room for a prompt beside ${limit} tokens`);
    const maxPrice = covering.map((p) => BigInt(p.ask)).reduce((a, b) => (a > b ? a : b));
    const budget = BigInt(this.requests) * BigInt(limit) * maxPrice;
    const key = newSessionKey();
    let opened;
    try {
      // In a block is enough: the provider's node checks a session at its best block (a reorg
      // that drops it makes its requests refused, and the gateway rolls to a new one).
      opened = await openSession(this.api, this.payer, { model: model.id, budget, maxPrice, lifetime: this.lifetime, limits, key }, { until: 'inBlock' });
    } catch (e) {
      return jobs(e.message);
    }
    // The endpoint the provider declared, else (or if it does not answer) the node at --url:
    // on a dev chain the provider's own, elsewhere it refuses a session that is not its own.
    const declared = await endpointOf(this.api, opened.record, this.url);
    let client;
    for (const endpoint of new Set([declared, this.url])) {
      client = new SessionClient(this.api, { ...opened, key, endpoint });
      try {
        await client.connect();
        break;
      } catch (e) {
        this.log.warn({ session: opened.id.toString(), endpoint, err: e.message }, "the session's provider cannot be reached there");
        client = null;
      }
    }
    if (!client) {
      this.retire(st, { client: new SessionClient(this.api, { ...opened, key, endpoint: declared }), record: opened.record });
      return jobs(`the provider's node cannot be reached at ${declared}`);
    }
    const { endpoint } = client;
    this.log.info({ session: opened.id.toString(), model: model.id, provider: opened.record.provider.toString(), price: opened.record.price.toString(), expires: opened.record.expires.toNumber(), endpoint }, 'session opened');
    return { client, record: opened.record, budget: opened.record.budget.toBigInt(), unit: budget, busy: false };
  }

  /** Takes `e` out of service and closes its session with the latest voucher, in the background. */
  retire(st, e) {
    st.entries = st.entries.filter((x) => x !== e);
    this.close(e).catch((err) => this.log.warn({ session: e.client.id.toString(), err: err.message }, 'closing the session failed; it settles after its expiry'));
  }

  async close({ client }) {
    await client.disconnect().catch(() => {});
    const { blockHash } = await sendAndInclude(this.api, client.closeTx(), this.payer);
    const s = (await (await this.api.at(blockHash)).query.sessions.sessions(client.id)).unwrap();
    const ends = s.state.asClosing.ends.toNumber();
    this.closing.set(client.id, ends);
    this.log.info({ session: client.id.toString(), tokens: client.owed, settlesFrom: ends }, 'session closed');
  }

  /** Settles the closed (or expired) sessions whose window has passed. */
  async settleDue() {
    for (const [id, from] of this.closing) {
      if (this.best < from || this.settling.has(id)) continue;
      this.settling.add(id);
      try {
        const { events } = await sendAndInclude(this.api, this.api.tx.sessions.settleSession(id), this.payer);
        const settled = events.find(({ event }) => this.api.events.sessions.SessionSettled.is(event));
        if (settled) this.log.info({ session: id.toString(), tokens: settled.event.data.tokens.toNumber() }, 'session settled');
        this.closing.delete(id);
      } catch (e) {
        // Settled by someone else meanwhile: nothing left to do.
        if ((await this.api.query.sessions.sessions(id)).isNone) this.closing.delete(id);
        else throw e;
      } finally {
        this.settling.delete(id);
      }
    }
  }

  /** Closes every open session (shutdown); what is not due yet is settled by the next run. */
  async stop() {
    this.stopped = true;
    const all = [...this.models.values()].flatMap((st) => st.entries.splice(0));
    await Promise.all(all.map((e) => this.close(e).catch((err) => this.log.warn({ session: e.client.id.toString(), err: err.message }, 'closing failed'))));
    this.unsubscribe?.();
    for (const [id, from] of this.closing) this.log.info({ session: id.toString(), settlesFrom: from }, 'session left to settle (the gateway settles it when it next runs, or: mosaic session settle)');
  }
}
