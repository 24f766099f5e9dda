// Shared by the network tests (zombienet js-scripts, CommonJS): the project's polkadot.js
// helpers (scripts/lib, ES modules) and waiting on chain state.
const path = require('node:path');

const ROOT = path.resolve(__dirname, '../..');
const MOS = 10n ** 12n;

/** An ES module of scripts/lib. */
const lib = (name) => import(path.join(ROOT, 'scripts/lib', name));

/** A polkadot.js API (with Mosaic's RPC methods) on the node `name`. */
/**
 * Connects to node `name`. A node that zombienet has just restarted may not listen yet (its RPC
 * comes up seconds after the process, later on a slow machine): keeps trying for up to `ms`.
 */
async function connectTo(networkInfo, name, ms = 60_000) {
  const { connect } = await lib('chain.mjs');
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await connect(networkInfo.nodesByName[name].wsUri);
    } catch (e) {
      if (Date.now() > deadline || !/cannot reach a Mosaic node/.test(e.message)) throw e;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
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
