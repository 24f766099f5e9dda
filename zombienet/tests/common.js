// Shared by the network tests (zombienet js-scripts, CommonJS): the project's polkadot.js
// helpers (scripts/lib, ES modules) and waiting on chain state.
const path = require('node:path');

const ROOT = path.resolve(__dirname, '../..');
const MOS = 10n ** 12n;

/** An ES module of scripts/lib. */
const lib = (name) => import(path.join(ROOT, 'scripts/lib', name));

/** A polkadot.js API (with Mosaic's RPC methods) on the node `name`. */
async function connectTo(networkInfo, name) {
  const { connect } = await lib('chain.mjs');
  return connect(networkInfo.nodesByName[name].wsUri);
}

/** `until` of scripts/lib/chain.mjs: the first truthy `check(header)` at a new best block. */
async function until(api, what, check, ms) {
  return (await lib('chain.mjs')).until(api, what, check, ms);
}

const finalized = async (api) => (await api.rpc.chain.getHeader(await api.rpc.chain.getFinalizedHead())).number.toNumber();
const best = async (api) => (await api.rpc.chain.getHeader()).number.toNumber();

/** The provider accounts of the provider nodes (their operator keys are //Eve, //Ferdie). */
const PROVIDERS = { eve: '//Eve//stash', ferdie: '//Ferdie//stash' };

module.exports = { ROOT, MOS, lib, connectTo, until, finalized, best, PROVIDERS };
