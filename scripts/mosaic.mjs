#!/usr/bin/env node
// Mosaic's command-line client (polkadot.js). Run `node scripts/mosaic.mjs help`.
//
// Node: --url ws://… or MOSAIC_WS (default ws://127.0.0.1:9944).
// Keys: MOSAIC_SURI, a dev URI (//Bob) or a mnemonic, from the environment only — never a flag,
// so it stays out of shell history and process lists.
// --json prints one JSON document per command instead of text.
import { connect, DEFAULT_WS, keyFromEnv, sendAndInclude as send } from './lib/chain.mjs';
import { followJob, feeOf, jobTx, standingAnswer } from './lib/jobs.mjs';
import { fmt, parseAmount } from './lib/units.mjs';
import * as gov from './lib/governance.mjs';
import { allModels, allProviders } from './lib/rpc.mjs';
import { hexToU8a, u8aToString } from '@polkadot/util';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { endpointOf, newSessionKey, openSession, SessionClient } from './lib/sessions.mjs';

const USAGE = `usage: mosaic.mjs [--url ws://…] [--json] <command>

  models                              registered models
  providers <model>                   providers serving a model: asks, bonds, reputation
  estimate <model> <max_tokens>       escrow and split  [--bid AMOUNT]
  submit <model> <prompt>             pay for a job and follow it to its receipt
                                      [--max-tokens N] [--bid AMOUNT]
                                      [--chat] [--system TEXT] [--message ROLE:TEXT]…
                                      [--temperature T] [--top-p P] [--top-k K]
                                      [--seed N] [--stop TEXT]…
  job <id>                            a job: status, providers, answers, receipt
  balance [address]                   free, held and frozen balance (default: your account)

Sessions (requests without a transaction each; the session key is kept in
$MOSAIC_HOME/sessions, default ~/.mosaic):
  session open <model> <budget>       open a session: [--max-price AMOUNT] (default the
                                      highest ask of an eligible provider) [--max-tokens N] [--prompt-tokens N]
                                      [--lifetime BLOCKS]
  session ask <id> <prompt>           one request, streamed, with its receipt checked
                                      [--max-tokens N] [--chat] [--system TEXT] and sampling
  session status <id>                 the session on chain and what this client has spent
  session close <id>                  close it with the latest voucher
  session settle <id>                 settle it once its closing window has passed (the
                                      provider's node settles it too)

Governance:
  tracks                              referendum tracks: deposits and periods
  referenda                           every referendum: track, status, tally, time left
  parameters                          the marketplace parameters and their values
  propose-parameter <name> <value>    a referendum on the parameter_admin track ("default"
                                      resets); notes the preimage, places the decision deposit
  propose-spend <amount> <address>    a treasurer referendum paying <address> from the treasury
  vote <index> aye|nay <amount>       vote with conviction [--conviction 0-6] (default 1)
  remove-vote <index>                 take a vote back (the lock stays for its conviction)
  unlock <track>                      release vote locks that have expired on <track>

AMOUNT is planck (an integer) or MOS with a unit: "0.000001MOS".
--chat sends <prompt> as a user message, rendered with the model's chat template (after
--system, and after any --message role:text turns, role one of system, user, assistant);
without it the prompt is raw text. Sampling: temperature 0–2 (0, the default, is greedy),
top-p (0, 1], top-k (0 = off), a seed (same seed, same output), up to 4 stop sequences.
A submitted job cannot be taken back (providers start at once); one nobody answers is
refunded in full at its deadline.
Signing commands take the key from MOSAIC_SURI (e.g. MOSAIC_SURI=//Bob, or a mnemonic).`;

class UsageError extends Error {}

function parseArgs(argv) {
  const opts = { url: DEFAULT_WS, json: false, messages: [] };
  const positional = [];
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new UsageError(`${a} needs a value`);
      i += 1;
      return argv[i];
    };
    if (a === '--json') opts.json = true;
    else if (a === '--help' || a === '-h') positional.unshift('help');
    else if (a === '--url') opts.url = value();
    else if (a === '--max-tokens') opts.maxTokens = int(value(), '--max-tokens');
    else if (a === '--bid') opts.bid = amount(value());
    else if (a === '--chat') opts.chat = true;
    else if (a === '--system') { opts.chat = true; opts.messages.push({ role: 'system', content: value() }); }
    else if (a === '--message') {
      const v = value();
      const at = v.indexOf(':');
      if (at < 0) throw new UsageError(`--message wants ROLE:TEXT, not ${JSON.stringify(v)}`);
      opts.chat = true;
      opts.messages.push({ role: v.slice(0, at), content: v.slice(at + 1) });
    }
    else if (a === '--temperature') opts.temperature = value();
    else if (a === '--top-p') opts.topP = value();
    else if (a === '--top-k') opts.topK = value();
    else if (a === '--seed') opts.seed = value();
    else if (a === '--stop') (opts.stop ??= []).push(value());
    else if (a === '--max-price') opts.maxPrice = amount(value());
    else if (a === '--prompt-tokens') opts.promptTokens = int(value(), '--prompt-tokens');
    else if (a === '--lifetime') opts.lifetime = int(value(), '--lifetime');
    else if (a === '--conviction') opts.conviction = int(value(), '--conviction');
    else if (a === '--suri' || a === '--seed' || a === '--mnemonic') throw new UsageError('keys are read from MOSAIC_SURI, never from a flag');
    else if (a.startsWith('--')) throw new UsageError(`unknown option ${a}`);
    else positional.push(a);
  }
  return { opts, positional };
}

function int(s, what) {
  if (!/^\d+$/.test(s)) throw new UsageError(`${what} must be a whole number, not ${JSON.stringify(s)}`);
  return Number(s);
}

function amount(s) {
  try { return parseAmount(s); } catch (e) { throw new UsageError(e.message); }
}

async function signer() {
  const key = await keyFromEnv('MOSAIC_SURI');
  if (!key) throw new UsageError('set MOSAIC_SURI to a dev URI (//Bob) or a mnemonic to sign');
  return key;
}

const text = (hex) => u8aToString(hexToU8a(hex));
const mos = (planck) => fmt(BigInt(planck));

/** Runs `fn`, turning its errors about the user's input into usage errors. */
function input(fn) {
  try { return fn(); } catch (e) { throw new UsageError(e.message); }
}

const blocks = (n) => `${n} blocks (${n * 6 >= 86_400 ? `${(n * 6 / 86_400).toFixed(1)} d` : n * 6 >= 3_600 ? `${(n * 6 / 3_600).toFixed(1)} h` : `${n * 6} s`})`;

const governance = {
  async tracks(api, _args, out) {
    const list = gov.tracks(api);
    out(list, () => {
      for (const t of list) console.log(`${String(t.id).padStart(2)} ${t.name.padEnd(21)} decision deposit ${mos(t.decisionDeposit)}, at most ${t.maxDeciding} deciding; prepare ${blocks(t.preparePeriod)}, decide within ${blocks(t.decisionPeriod)}, confirm ${blocks(t.confirmPeriod)}, enact after ${blocks(t.minEnactmentPeriod)}`);
    });
  },

  async referenda(api, _args, out) {
    const list = await gov.referenda(api);
    out(list, () => {
      if (!list.length) console.log('no referenda');
      for (const r of list) console.log(gov.describeReferendum(r));
    });
  },

  async parameters(api, _args, out) {
    const list = await gov.parameterValues(api);
    out(list, () => {
      for (const p of list) console.log(`${p.name.padEnd(25)} ${p.type.padEnd(12)} ${p.value === null ? 'default' : p.value}`);
    });
  },

  async 'propose-parameter'(api, [name, value], out) {
    if (name === undefined || value === undefined) throw new UsageError('propose-parameter <name> <value>');
    const parsed = value === 'default' ? null : input(() => gov.parseParameter(api, name, value));
    const r = await gov.propose(api, await signer(), 'parameter_admin', gov.setParameterCall(api, name, parsed));
    out(r, () => console.log(`referendum #${r.index} on parameter_admin: set ${name} to ${value} (preimage ${r.hash}, ${r.len} bytes); decision deposit placed. Vote with: vote ${r.index} aye <amount>`));
  },

  async 'propose-spend'(api, [value, beneficiary], out) {
    if (value === undefined || beneficiary === undefined) throw new UsageError('propose-spend <amount> <address>');
    const amountPlanck = amount(value);
    const call = api.tx.treasury.spend(null, amountPlanck, beneficiary, null);
    const r = await gov.propose(api, await signer(), 'treasurer', call);
    out(r, () => console.log(`referendum #${r.index} on treasurer: pay ${mos(amountPlanck)} to ${beneficiary}; decision deposit placed. Once enacted, anyone calls treasury.payout.`));
  },

  async vote(api, [index, side, value], out, opts) {
    if (index === undefined || !['aye', 'nay'].includes(side) || value === undefined) throw new UsageError('vote <index> aye|nay <amount>');
    if (opts.conviction !== undefined && opts.conviction > 6) throw new UsageError('--conviction is 0–6');
    const r = await gov.vote(api, await signer(), int(index, 'index'), side === 'aye', amount(value), opts.conviction ?? 1);
    out({ index: Number(index), side, block: r.blockHash.toHex() }, () => console.log(`voted ${side} on #${index} with ${mos(amount(value))} at conviction ${opts.conviction ?? 1}`));
  },

  async 'remove-vote'(api, [index], out) {
    if (index === undefined) throw new UsageError('remove-vote <index>');
    await gov.removeVote(api, await signer(), int(index, 'index'));
    out({ index: Number(index) }, () => console.log(`vote on #${index} removed`));
  },

  async unlock(api, [track], out) {
    if (track === undefined) throw new UsageError('unlock <track>');
    const pair = await signer();
    await gov.unlock(api, pair, int(track, 'track'), pair.address);
    out({ track: Number(track) }, () => console.log(`expired locks on track ${track} released`));
  },
};

const commands = {
  async models(api, _args, out) {
    const models = await allModels(api);
    out(models, () => {
      console.log('id  name                        arch   params  type     ctx    chat royalty  providers  hash');
      for (const m of models) {
        const params = m.parameters >= 1e9 ? `${(m.parameters / 1e9).toFixed(1)}B` : `${(m.parameters / 1e6).toFixed(1)}M`;
        console.log(`${String(m.id).padEnd(3)} ${text(m.name).padEnd(27)} ${m.architecture.padEnd(6)} ${params.padStart(6)}  ${m.fileType.padEnd(8)} ${String(m.contextLength).padEnd(6)} ${m.chatTemplate ? 'yes ' : 'no  '} ${(m.royaltyBps / 100).toFixed(2).padStart(6)} % ${String(m.providers).padStart(4)}       ${m.contentHash}${m.deprecated ? '  (deprecated)' : ''}`);
      }
    });
  },

  async providers(api, [model], out) {
    if (model === undefined) throw new UsageError('providers <model>');
    const list = await allProviders(api, int(model, 'model'));
    out(list, () => {
      if (!list.length) console.log(`no provider serves model ${model}`);
      for (const p of list) {
        const t = p.terms;
        const terms = t ? `context ${t.contextLength}, output ≤ ${t.maxOutputTokens}, ${t.tokensPerSecond} tok/s` : 'no terms';
        console.log(`${p.provider}  ask ${mos(p.ask)}/token  bond ${mos(p.bond)}  ${terms}  score ${p.score}/1000 (${p.completed} done, ${p.declined} declined, ${p.timedOut} timed out, ${p.outvoted} outvoted)  jobs ${p.activeJobs}/${p.maxConcurrentJobs}  ${p.eligible ? 'eligible' : p.paused ? 'paused' : 'not eligible'}`);
      }
    });
  },

  async estimate(api, [model, maxTokens], out, opts) {
    if (model === undefined || maxTokens === undefined) throw new UsageError('estimate <model> <max_tokens>');
    const e = (await api.rpc.mosaic.estimate(int(model, 'model'), int(maxTokens, 'max_tokens'), opts.bid?.toString() ?? null)).toJSON();
    out(e, () => {
      console.log(`bid ${mos(e.bid)} per token (${e.eligible} provider(s) eligible)`);
      console.log(`escrow held:    ${mos(e.escrow)}`);
      console.log(`deposit held:   ${mos(e.deposit)} (for the job's state; returned a day after it ends)`);
      console.log(`most it costs:  ${mos(e.maxCost)} = royalty ${mos(e.royalty)} + protocol fee ${mos(e.protocolFee)} + providers ${mos(e.providers)}`);
      console.log(`refunded:       at least ${mos(e.minRefund)} (providers are paid their ask for the tokens they generate)`);
    });
  },

  async submit(api, [model, prompt], out, opts) {
    if (model === undefined || prompt === undefined) throw new UsageError('submit <model> <prompt>');
    const pair = await signer();
    const modelId = int(model, 'model');
    const maxTokens = opts.maxTokens ?? 32;
    const estimate = (await api.rpc.mosaic.estimate(modelId, maxTokens, opts.bid?.toString() ?? null)).toJSON();
    const bid = BigInt(estimate.bid);
    const progress = (line) => { if (!opts.json) console.log(line); };
    let tx;
    try {
      const { temperature, topP, topK, seed, stop } = opts;
      const messages = opts.chat ? [...opts.messages, { role: 'user', content: prompt }] : undefined;
      tx = jobTx(api, { model: modelId, maxTokens, bid, prompt, messages, temperature, topP, topK, seed, stop });
    } catch (e) {
      throw new UsageError(e.message);
    }
    const { blockHash, events } = await send(api, tx, pair);
    const submitted = events.find(({ event }) => api.events.jobs.JobSubmitted.is(event)).event.data;
    const job = submitted.job.toBigInt();
    const number = (await api.rpc.chain.getHeader(blockHash)).number.toNumber();
    progress(`submitted  job ${job} in #${number}: escrow ${mos(submitted.escrow)}, deposit ${mos(submitted.deposit)}, fee ${mos(feeOf(api, events))}`);
    const { end } = await followJob(api, job, number, {
      onEvent: ({ name, data }) => {
        if (name === 'ResultSubmitted') progress(`answered   by ${data.provider}: ${data.tokens} tokens`);
        if (name === 'ProviderDeclined') progress(`declined   by ${data.provider} (${data.reason}): not slashed, reassigning`);
        if (name === 'ProviderAssigned') progress(`assigned   ${data.provider} at ${mos(data.price)}/token`);
        if (name === 'ProviderTimedOut') progress(`timed out  ${data.provider} (slashed ${mos(data.slashed)})`);
        if (name === 'AuditorAssigned') progress(`audit      by ${data.auditor}${data.committee.isTrue ? ' (committee)' : ''}`);
        if (name === 'AuditReported') progress(`reported   by ${data.auditor}: ${data.finding}`);
        if (name === 'FraudConfirmed') progress(`fraud      ${data.executor} slashed ${mos(data.slashed)}`);
      },
    });
    const view = (await api.rpc.mosaic.job(job)).toJSON();
    const stood = standingAnswer(view);
    const output = stood ? text(stood.output) : null;
    out({ job: job.toString(), end: end.name, view, output }, () => {
      if (end.name !== 'JobSettled') {
        console.log(`${end.name === 'JobRefunded' ? 'refunded' : 'ended'}    ${end.name}: ${mos(end.data.amount ?? 0)} back`);
        return;
      }
      const r = view.receipt;
      console.log(`settled    ${view.outcome[1]} tokens`);
      console.log(`receipt: paid ${mos(r.paid)} (royalty ${mos(r.royalty)}, protocol fee ${mos(r.protocolFee)}, providers ${mos(r.providers)}); refunded ${mos(r.refund)}`);
      console.log(`output: ${JSON.stringify(output)}`);
    });
  },

  async job(api, [id], out) {
    if (id === undefined) throw new UsageError('job <id>');
    const v = (await api.rpc.mosaic.job(int(id, 'id'))).toJSON();
    out(v, () => {
      console.log(`job ${v.id}: ${v.state}, model ${v.model}, owner ${v.owner}`);
      if (v.messages.length) for (const m of v.messages) console.log(`${m.role}: ${JSON.stringify(m.content)}`);
      else console.log(`prompt ${JSON.stringify(text(v.prompt))}`);
      const s = v.sampling;
      const sampling = s.temperature === 0 ? 'greedy' : `temperature ${s.temperature / 100}, top-p ${s.topP / 10_000}, top-k ${s.topK || 'off'}, seed ${s.seed}`;
      console.log(`at most ${v.maxTokens} tokens at ${mos(v.bid)}/token, ${sampling}${s.stop.length ? `, stop at ${s.stop.map((x) => JSON.stringify(text(x))).join(', ')}` : ''}`);
      if (['pending', 'challenge', 'auditing'].includes(v.state)) console.log(`escrow ${mos(v.escrow)}, ${v.state === 'challenge' ? 'paid at' : 'deadline'} #${v.deadline}`);
      for (const a of v.assignments) {
        const state = a.state.answered ? `answered ${a.state.answered.tokens} tokens at #${a.answeredAt}: ${JSON.stringify(text(a.output))}` : a.state;
        console.log(`  ${a.role} ${a.provider} at ${mos(a.price)}/token: ${typeof state === 'string' ? state : JSON.stringify(state)}`);
      }
      if (v.receipt) console.log(`receipt: paid ${mos(v.receipt.paid)} (royalty ${mos(v.receipt.royalty)}, protocol fee ${mos(v.receipt.protocolFee)}, providers ${mos(v.receipt.providers)}); refunded ${mos(v.receipt.refund)}`);
    });
  },

  async balance(api, [address], out) {
    const who = address ?? (await signer()).address;
    const { data } = await api.query.system.account(who);
    const escrow = await api.query.balances.holds(who);
    const held = escrow.map((h) => ({ reason: JSON.stringify(h.id.toJSON()), amount: h.amount.toString() }));
    const result = { address: who, free: data.free.toString(), reserved: data.reserved.toString(), frozen: data.frozen.toString(), holds: held };
    out(result, () => {
      console.log(`${who}: free ${mos(data.free)}, held ${mos(data.reserved)}, frozen ${mos(data.frozen)}`);
      for (const h of held) console.log(`  held ${mos(h.amount)} for ${h.reason}`);
    });
  },
};

/** The file keeping a session's key and client state. */
function sessionFile(api, id) {
  const dir = join(process.env.MOSAIC_HOME ?? join(homedir(), '.mosaic'), 'sessions');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return join(dir, `${api.genesisHash.toHex().slice(2, 18)}-${id}.json`);
}

function saveSession(api, client) {
  const file = sessionFile(api, client.id);
  writeFileSync(file, JSON.stringify({ mnemonic: client.key.mnemonic, ...client.state() }, null, 2), { mode: 0o600 });
  chmodSync(file, 0o600);
}

async function loadSession(api, id, opts) {
  let saved;
  try {
    saved = JSON.parse(readFileSync(sessionFile(api, int(id, 'the session id')), 'utf8'));
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`no key for session ${id} on this chain in ${sessionFile(api, id)}: only the client that opened it can use it`);
  }
  const record = await api.query.sessions.sessions(saved.id);
  if (record.isNone) throw new Error(`session ${id} is not on chain (settled, or never opened)`);
  const client = SessionClient.restore(api, saved, newSessionKey(saved.mnemonic), record.unwrap());
  if (opts.url !== DEFAULT_WS && saved.endpoint === DEFAULT_WS) client.endpoint = opts.url;
  return { client, record: record.unwrap() };
}

const sessions = {
  async open(api, [model, budget], out, opts) {
    if (model === undefined || budget === undefined) throw new UsageError('session open needs <model> <budget>');
    const owner = await signer();
    const m = int(model, 'the model');
    const maxTokens = opts.maxTokens ?? 128;
    let maxPrice = opts.maxPrice;
    if (maxPrice === undefined) {
      // The highest ask among the eligible providers: every one of them can be drawn.
      const asks = (await allProviders(api, m)).filter((p) => p.eligible).map((p) => BigInt(p.ask));
      if (asks.length === 0) throw new Error(`no eligible provider serves model ${m}`);
      maxPrice = asks.reduce((a, b) => (a > b ? a : b));
    }
    const context = (await api.query.models.models(m)).unwrapOr(null)?.contextLength.toNumber();
    if (context === undefined) throw new Error(`no model has id ${m}`);
    const limits = { promptTokens: opts.promptTokens ?? Math.max(1, context - 2 - maxTokens), maxTokens };
    const key = newSessionKey();
    const opened = await openSession(api, owner, { model: m, budget: amount(budget), maxPrice, lifetime: opts.lifetime ?? 600, limits, key });
    const endpoint = await endpointOf(api, opened.record, opts.url);
    const client = new SessionClient(api, { ...opened, key, endpoint });
    saveSession(api, client);
    const r = opened.record;
    out({ session: opened.id, provider: r.provider.toString(), price: r.price.toBigInt(), budget: r.budget.toBigInt(), expires: r.expires.toNumber(), endpoint }, () => {
      console.log(`session ${opened.id}: ${r.provider} serves model ${m} at ${mos(r.price)} a token until block ${r.expires}; ${mos(r.budget)} held, with a deposit of ${mos(r.deposit)}`);
      console.log(`requests go to ${endpoint}; its key is in ${sessionFile(api, opened.id)}`);
    });
  },

  async ask(api, [id, ...words], out, opts) {
    if (id === undefined || words.length === 0) throw new UsageError('session ask needs <id> <prompt>');
    const { client, record } = await loadSession(api, id, opts);
    const prompt = words.join(' ');
    const request = input(() => (opts.chat ? { messages: [...opts.messages, { role: 'user', content: prompt }] } : { prompt }));
    for (const k of ['temperature', 'topP', 'topK', 'seed', 'stop']) if (opts[k] !== undefined) request[k] = opts[k];
    const maxTokens = opts.maxTokens ?? record.limits.maxTokens.toNumber();
    try {
      const decoder = new TextDecoder();
      const done = await client.request(request, maxTokens, { onOutput: (b) => { if (!opts.json) process.stdout.write(decoder.decode(b, { stream: true })); } });
      saveSession(api, client);
      const r = done.receipt;
      out({ session: client.id, text: done.text, receipt: r, firstChunkMs: done.firstChunkMs }, () => {
        console.log(`\n\nrequest ${r.seq}: ${r.tokens} tokens, ${mos(r.cost)}; first output after ${done.firstChunkMs?.toFixed(0) ?? '-'} ms; receipt checked (log ${r.log.slice(0, 18)}…)`);
      });
    } finally {
      await client.disconnect();
    }
  },

  async status(api, [id], out, opts) {
    if (id === undefined) throw new UsageError('session status needs <id>');
    const { client, record: r } = await loadSession(api, id, opts);
    const state = r.state.isClosing ? `closing, settles from block ${r.state.asClosing.ends}` : `open until block ${r.expires}`;
    const best = r.voucher.isSome ? r.voucher.unwrap().tokens.toNumber() : 0;
    out({ session: client.id, state: r.state.toJSON(), budget: r.budget.toBigInt(), price: r.price.toBigInt(), served: client.served, spent: client.spent, owed: client.owed, postedTokens: best }, () => {
      console.log(`session ${client.id}: ${state}; budget ${mos(r.budget)} at ${mos(r.price)} a token`);
      console.log(`this client: ${client.served} requests, ${client.spent} tokens received, ${client.owed} owed by its latest voucher; on chain: ${best} tokens posted`);
    });
  },

  async close(api, [id], out, opts) {
    if (id === undefined) throw new UsageError('session close needs <id>');
    const { client } = await loadSession(api, id, opts);
    const { blockHash } = await send(api, client.closeTx(), await signer());
    const r = (await (await api.at(blockHash)).query.sessions.sessions(client.id)).unwrap();
    const ends = r.state.asClosing.ends.toNumber();
    out({ session: client.id, settlesFrom: ends }, () => console.log(`session ${client.id} closed on ${client.owed} tokens; settle it from block ${ends} (mosaic session settle ${client.id})`));
  },

  async settle(api, [id], out) {
    if (id === undefined) throw new UsageError('session settle needs <id>');
    const session = BigInt(int(id, 'the session id'));
    const gone = () => out({ session: id, alreadySettled: true }, () => console.log(`session ${id} is settled already (by its provider's node, or anyone): nothing is held for it`));
    if ((await api.query.sessions.sessions(session)).isNone) return gone();
    let events;
    try {
      ({ events } = await send(api, api.tx.sessions.settleSession(session), await signer()));
    } catch (e) {
      // Settled between the look and the transaction.
      if (/SessionNotFound/.test(e.message)) return gone();
      throw e;
    }
    const settled = events.find(({ event }) => api.events.sessions.SessionSettled.is(event)).event.data;
    const r = settled.receipt;
    out({ session: id, tokens: settled.tokens.toNumber(), receipt: r.toJSON() }, () => console.log(`session ${id} settled: ${settled.tokens} tokens, ${mos(r.paid)} paid (provider ${mos(r.providers)}, royalty ${mos(r.royalty)}, fee ${mos(r.protocolFee)}), ${mos(r.refund)} refunded`));
  },
};

async function main(argv) {
  let opts;
  let positional;
  try {
    ({ opts, positional } = parseArgs(argv));
  } catch (e) {
    console.error(`${e.message}\n\n${USAGE}`);
    return 2;
  }
  const [name, ...args] = positional;
  if (!name || name === 'help' || !commands[name]) {
    (name && name !== 'help' ? console.error : console.log)(name && name !== 'help' ? `unknown command ${name}\n\n${USAGE}` : USAGE);
    return name && name !== 'help' ? 2 : 0;
  }
  const out = (json, human) => (opts.json ? console.log(JSON.stringify(json, (_, v) => (typeof v === 'bigint' ? v.toString() : v), 2)) : human());
  let api;
  try {
    api = await connect(opts.url);
    await commands[name](api, args, out, opts);
    return 0;
  } catch (e) {
    const message = e instanceof UsageError ? `${e.message}\n\n${USAGE}` : e.message;
    if (opts.json) console.log(JSON.stringify({ error: e.message }));
    else console.error(`error: ${message}`);
    return e instanceof UsageError ? 2 : 1;
  } finally {
    await api?.disconnect().catch(() => {});
  }
}

Object.assign(commands, governance);
commands.session = async (api, [sub, ...rest], out, opts) => {
  if (!sessions[sub]) throw new UsageError(`session needs one of ${Object.keys(sessions).join(', ')}`);
  return sessions[sub](api, rest, out, opts);
};

process.exitCode = await main(process.argv.slice(2));
