// The `mosaic_*` RPC methods for polkadot.js: `ApiPromise.create({ provider, rpc })` decorates
// them as `api.rpc.mosaic.*`. Each returns JSON (`.toJSON()`: balances as decimal strings, bytes
// as 0x hex; lists as arrays);
// failures are JSON-RPC errors with the codes below and a readable message.
const at = { name: 'at', type: 'Hash', isOptional: true };

export const rpc = {
  mosaic: {
    models: {
      description: 'A page of the registered models: up to limit (default and most 100) with ids from `from` (default 0), and `next`, where the next page starts (null after the last).',
      params: [
        { name: 'from', type: 'Option<u32>', isOptional: true },
        { name: 'limit', type: 'Option<u32>', isOptional: true },
        at,
      ],
      type: 'Json',
    },
    providers: {
      description: 'A page of the providers serving a model, with asks, bonds, reputation and eligibility: up to limit (default and most 100) from slot `from` (default 0), `next` (null after the last) and `total`.',
      params: [
        { name: 'model', type: 'u32' },
        { name: 'from', type: 'Option<u32>', isOptional: true },
        { name: 'limit', type: 'Option<u32>', isOptional: true },
        at,
      ],
      type: 'Json',
    },
    estimate: {
      description: 'Escrow and expected split of a job; bid (planck per token, decimal string) defaults to the chain quote: the lowest bid at which a provider can take the job wherever the draw looks.',
      params: [
        { name: 'model', type: 'u32' },
        { name: 'maxTokens', type: 'u32' },
        { name: 'bid', type: 'Option<Text>', isOptional: true },
        at,
      ],
      type: 'Json',
    },
    job: {
      description: 'A job with its status, assigned providers, answers and receipt.',
      params: [{ name: 'job', type: 'u64' }, at],
      type: 'Json',
    },
    engine: {
      description: "This node's inference engine and the fingerprint hash a provider declares.",
      params: [],
      type: 'Json',
    },
    streamJob: {
      description: "A job's output as this node's engine generates it, for its owner: signature is the owner's sr25519 signature over mosaic/stream/v1 ‖ SCALE(job, genesis hash).",
      params: [{ name: 'job', type: 'u64' }, { name: 'signature', type: 'Bytes' }],
      pubsub: ['jobOutput', 'streamJob', 'unstreamJob'],
      type: 'Json',
    },
  },
};

/**
 * Every provider serving `model`: `mosaic_providers` page after page, all read at one block
 * (a provider that stops serving moves another into its slot between blocks).
 */
export async function allProviders(api, model) {
  const at = await api.rpc.chain.getBlockHash();
  const providers = [];
  for (let from = 0; ;) {
    const page = (await api.rpc.mosaic.providers(model, from, null, at)).toJSON();
    providers.push(...page.providers);
    if (page.next === null || page.next === undefined) return providers;
    from = page.next;
  }
}

/** Every registered model, by id: `mosaic_models` page after page. */
export async function allModels(api) {
  const models = [];
  for (let from = 0; ;) {
    const page = (await api.rpc.mosaic.models(from, null)).toJSON();
    models.push(...page.models);
    if (page.next === null || page.next === undefined) return models;
    from = page.next;
  }
}

/** Error codes of the `mosaic_*` methods (node/src/marketplace_rpc.rs). */
export const RPC_ERRORS = {
  UNKNOWN_MODEL: 1001,
  MODEL_DEPRECATED: 1002,
  ZERO_MAX_TOKENS: 1003,
  MAX_TOKENS_TOO_LARGE: 1004,
  NO_ELIGIBLE_PROVIDER: 1005,
  BID_BELOW_EVERY_ASK: 1006,
  OVERFLOW: 1007,
  BAD_BID: 1008,
  EXCEEDS_CONTEXT: 1009,
  JOB_NOT_FOUND: 1010,
  NO_PROVIDER_COVERS: 1011,
  ZERO_BID: 1012,
  NO_ENGINE: 1020,
  NOT_OWNER: 1021,
};
