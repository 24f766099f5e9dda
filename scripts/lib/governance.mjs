// Governance through polkadot.js: tracks, referenda, parameter changes, treasury spends,
// votes. Everything is read from the chain's metadata (no custom types): track names, the
// origins of the tracks and the type of each marketplace parameter.
import { fmt, parseAmount } from './units.mjs';
import { sendAndInclude } from './chain.mjs';

/** A track's name without the NUL padding of its `[u8; 25]` field. */
export const trackName = (name) => name.toString().replace(/\0+$/, '');

/** The tracks: `[{ id, name, maxDeciding, decisionDeposit, preparePeriod, … }]`. */
export function tracks(api) {
  return api.consts.referenda.tracks.map(([id, info]) => ({
    id: id.toNumber(),
    name: trackName(info.name),
    maxDeciding: info.maxDeciding.toNumber(),
    decisionDeposit: info.decisionDeposit.toBigInt(),
    preparePeriod: info.preparePeriod.toNumber(),
    decisionPeriod: info.decisionPeriod.toNumber(),
    confirmPeriod: info.confirmPeriod.toNumber(),
    minEnactmentPeriod: info.minEnactmentPeriod.toNumber(),
  }));
}

/** The type of proposal origins (the runtime's `OriginCaller`), from the metadata. */
export const originType = (api) => api.tx.referenda.submit.meta.args[0].type.toString();

/** The proposal origin of each track the CLI proposes on. */
export const ORIGINS = {
  root: { system: 'Root' },
  referendum_canceller: { Governance: 'ReferendumCanceller' },
  parameter_admin: { Governance: 'ParameterAdmin' },
  validator_admin: { Governance: 'ValidatorAdmin' },
  treasurer: { Governance: 'Treasurer' },
};

/**
 * The marketplace parameters and the Rust type of each (`Balance`, `BlockNumber`, `u16`, `u32`,
 * `Permill`, `Perbill`), from the metadata's `marketplace::ParametersValue` enum.
 */
export function parameterTypes(api) {
  for (const { type } of api.registry.lookup.types) {
    const path = type.path.map((p) => p.toString());
    if (path.at(-1) === 'ParametersValue' && path.includes('marketplace')) {
      return Object.fromEntries(type.def.asVariant.variants.map((v) => [v.name.toString(), v.fields[0].typeName.unwrapOr('').toString()]));
    }
  }
  throw new Error('this chain has no marketplace parameters');
}

/**
 * Parses `text` as a value of the parameter `name`: MOS amounts ("1000MOS" or planck),
 * percentages for Permill/Perbill ("7.5%"), whole numbers otherwise (blocks, basis points).
 */
export function parseParameter(api, name, text) {
  const type = parameterTypes(api)[name];
  if (!type) throw new Error(`unknown parameter ${name}; one of ${Object.keys(parameterTypes(api)).join(', ')}`);
  if (type === 'Balance' || type === 'u128') return parseAmount(text);
  if (type === 'Permill' || type === 'Perbill') {
    const m = /^(\d+(?:\.\d+)?)%$/.exec(text);
    if (!m) throw new Error(`${name} is a percentage, e.g. "7.5%", not ${JSON.stringify(text)}`);
    const scale = type === 'Permill' ? 1_000_000 : 1_000_000_000;
    const [whole, frac = ''] = m[1].split('.');
    const digits = Math.log10(scale) - 2;
    if (frac.length > digits) throw new Error(`${name} has at most ${digits} decimals`);
    return BigInt(whole) * BigInt(scale / 100) + BigInt(frac.padEnd(digits, '0') || '0');
  }
  if (!/^\d+$/.test(text)) throw new Error(`${name} is a whole number (${type}), not ${JSON.stringify(text)}`);
  return BigInt(text);
}

/** The current value of every marketplace parameter (the default where none is set). */
export async function parameterValues(api) {
  const set = new Map();
  for (const [key, value] of await api.query.parameters.parameters.entries()) {
    const k = key.args[0].toJSON();
    const v = value.unwrap().toJSON();
    set.set(Object.keys(k.marketplace ?? k.Marketplace)[0], Object.values(v.marketplace ?? v.Marketplace)[0]);
  }
  return Object.entries(parameterTypes(api)).map(([name, type]) => ({ name, type, value: set.get(name) ?? null }));
}

/** The call that sets (or, with `value` null, resets) a marketplace parameter. */
export function setParameterCall(api, name, value) {
  return api.tx.governance.setParameter({ Marketplace: { [name]: [null, value === null ? null : value] } });
}

/**
 * Notes `call` as a preimage and submits it on `track` (a name of ORIGINS) in one batch, then
 * places the decision deposit. Resolves with `{ index, hash, len }`.
 */
export async function propose(api, signer, track, call) {
  const origin = ORIGINS[track];
  if (!origin) throw new Error(`unknown track ${track}; one of ${Object.keys(ORIGINS).join(', ')}`);
  const encoded = call.method.toU8a();
  const hash = call.method.hash.toHex();
  const submit = api.tx.referenda.submit(origin, { Lookup: { hash, len: encoded.length } }, { After: 0 });
  const { events } = await sendAndInclude(api, api.tx.utility.batchAll([api.tx.preimage.notePreimage(call.method.toHex()), submit]), signer);
  const submitted = events.find(({ event }) => api.events.referenda.Submitted.is(event));
  const index = submitted.event.data.index.toNumber();
  await sendAndInclude(api, api.tx.referenda.placeDecisionDeposit(index), signer);
  return { index, hash, len: encoded.length };
}

/** Votes on referendum `index` with `balance` at `conviction` (0–6; 0 is 0.1x, no lock). */
export function vote(api, signer, index, aye, balance, conviction = 1) {
  const names = ['None', 'Locked1x', 'Locked2x', 'Locked3x', 'Locked4x', 'Locked5x', 'Locked6x'];
  if (!Number.isInteger(conviction) || conviction < 0 || conviction > 6) throw new Error('conviction is 0–6');
  const v = { Standard: { vote: { aye, conviction: names[conviction] }, balance } };
  return sendAndInclude(api, api.tx.convictionVoting.vote(index, v), signer);
}

/** The track on which `who` voted on referendum `index`, or null. */
export async function votedTrack(api, who, index) {
  for (const [key, voting] of await api.query.convictionVoting.votingFor.entries(who)) {
    if (voting.isCasting && voting.asCasting.votes.some(([i]) => i.toNumber() === index)) return key.args[1].toNumber();
  }
  return null;
}

/**
 * Removes the signer's vote on referendum `index`. The track is needed once the referendum
 * has ended; it is looked up when not given.
 */
export async function removeVote(api, signer, index, track = undefined) {
  const cls = track ?? (await votedTrack(api, signer.address, index));
  if (cls === null) throw new Error(`${signer.address} has no vote on referendum #${index}`);
  return sendAndInclude(api, api.tx.convictionVoting.removeVote(cls, index), signer);
}

/** Unlocks what `who`'s expired votes on track `track` locked. */
export const unlock = (api, signer, track, who) => sendAndInclude(api, api.tx.convictionVoting.unlock(track, who), signer);

/** Every referendum: `{ index, track, status, ayes, nays, support, endsAt, … }`. */
export async function referenda(api) {
  const byId = new Map(tracks(api).map((t) => [t.id, t]));
  const now = (await api.rpc.chain.getHeader()).number.toNumber();
  const out = [];
  for (const [key, info] of await api.query.referenda.referendumInfoFor.entries()) {
    const index = key.args[0].toNumber();
    const r = { index };
    if (info.unwrap().isOngoing) {
      const o = info.unwrap().asOngoing;
      const t = byId.get(o.track.toNumber());
      Object.assign(r, {
        track: t.name, status: 'ongoing', origin: o.origin.toJSON(),
        ayes: o.tally.ayes.toBigInt(), nays: o.tally.nays.toBigInt(), support: o.tally.support.toBigInt(),
        decisionDeposit: o.decisionDeposit.isSome, submitted: o.submitted.toNumber(),
      });
      if (o.deciding.isSome) {
        const d = o.deciding.unwrap();
        r.status = d.confirming.isSome ? 'confirming' : 'deciding';
        r.endsAt = d.confirming.isSome ? d.confirming.unwrap().toNumber() : d.since.toNumber() + t.decisionPeriod;
      } else {
        r.status = o.decisionDeposit.isSome ? 'preparing' : 'needs decision deposit';
        r.endsAt = o.submitted.toNumber() + t.preparePeriod;
      }
      r.blocksLeft = Math.max(0, r.endsAt - now);
    } else {
      r.status = info.unwrap().type.toLowerCase();
    }
    out.push(r);
  }
  return out.sort((a, b) => a.index - b.index);
}

/** One line per referendum, for people. */
export function describeReferendum(r) {
  if (r.status !== 'ongoing' && r.track === undefined) return `#${r.index} ${r.status}`;
  const left = r.blocksLeft === undefined ? '' : `, ${r.blocksLeft} blocks (~${Math.round((r.blocksLeft * 6) / 60)} min) left`;
  return `#${r.index} ${r.track}: ${r.status}${left}; ayes ${fmt(r.ayes)}, nays ${fmt(r.nays)}, support ${fmt(r.support)}`;
}
