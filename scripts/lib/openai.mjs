// The OpenAI API shape on Mosaic: requests mapped to jobs, answers and errors shaped as the
// `openai` client libraries expect. Pure functions; scripts/gateway.mjs serves them.
import { ROLES } from './jobs.mjs';

/** An error the gateway answers with: `status`, OpenAI's `{ error: { message, type, code } }`. */
export class ApiError extends Error {
  constructor(status, message, { type, code = null, param = null } = {}) {
    super(message);
    this.status = status;
    this.type = type ?? TYPES[status] ?? 'api_error';
    this.code = code;
    this.param = param;
  }

  body() {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

const TYPES = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'insufficient_funds',
  404: 'not_found_error',
  429: 'rate_limit_error',
  503: 'service_unavailable',
  504: 'timeout',
};

const bad = (message, param) => new ApiError(400, message, { param, code: 'invalid_value' });

/** Checks that `v` is a number in [lo, hi] (or absent); returns it or `fallback`. */
function numberIn(body, param, lo, hi, fallback) {
  const v = body[param];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi) {
    throw bad(`${param} must be a number from ${lo} to ${hi}, not ${JSON.stringify(v)}`, param);
  }
  return v;
}

/** OpenAI `content`: a string, or an array of `{ type: 'text', text }` parts. */
function contentText(content, i) {
  if (typeof content === 'string') return content;
  if (Array.isArray(content) && content.every((p) => p?.type === 'text' && typeof p.text === 'string')) {
    return content.map((p) => p.text).join('');
  }
  throw bad(`messages[${i}].content must be text (a string or text parts)`, `messages[${i}].content`);
}

/**
 * The job a `/v1/chat/completions` (`chat = true`) or `/v1/completions` body asks for:
 * `{ model, maxTokens, stream, request }` with `request` as `jobTx` takes it. Throws ApiError
 * 400 with the offending parameter.
 */
export function jobFromBody(body, { chat, defaultMaxTokens = 256 }) {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw bad('the body must be a JSON object');
  if (typeof body.model !== 'string' || !body.model) throw bad('model is required (a name or id from /v1/models)', 'model');
  const n = numberIn(body, 'n', 1, 1, 1);
  if (n !== 1) throw bad('n must be 1', 'n');
  const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? defaultMaxTokens;
  if (!Number.isInteger(maxTokens) || maxTokens < 1) throw bad(`max_tokens must be a whole number ≥ 1, not ${JSON.stringify(maxTokens)}`, 'max_tokens');
  const temperature = numberIn(body, 'temperature', 0, 2, 0);
  const topP = numberIn(body, 'top_p', 0, 1, 1);
  if (topP === 0) throw bad('top_p must be above 0', 'top_p');
  const seed = numberIn(body, 'seed', 0, 2 ** 32 - 2, 0);
  if (!Number.isInteger(seed)) throw bad('seed must be a whole number', 'seed');
  let stop = body.stop ?? [];
  if (typeof stop === 'string') stop = [stop];
  if (!Array.isArray(stop) || stop.some((s) => typeof s !== 'string' || s === '')) throw bad('stop must be a string or a list of non-empty strings', 'stop');
  if (stop.length > 4) throw bad('stop may list at most 4 sequences', 'stop');
  const sampling = { temperature, topP, seed, stop };
  if (body.top_k !== undefined) sampling.topK = numberIn(body, 'top_k', 0, 1000, 0);
  let request;
  if (chat) {
    if (!Array.isArray(body.messages) || body.messages.length === 0) throw bad('messages must be a non-empty list', 'messages');
    const messages = body.messages.map((m, i) => {
      const role = m?.role === 'developer' ? 'system' : m?.role;
      if (!ROLES.includes(role)) throw bad(`messages[${i}].role must be one of ${ROLES.join(', ')} (or developer), not ${JSON.stringify(m?.role)}`, `messages[${i}].role`);
      return { role, content: contentText(m.content, i) };
    });
    request = { messages, ...sampling };
  } else {
    const prompt = Array.isArray(body.prompt) && body.prompt.length === 1 ? body.prompt[0] : body.prompt;
    if (typeof prompt !== 'string' || prompt === '') throw bad('prompt must be a non-empty string', 'prompt');
    request = { prompt, ...sampling };
  }
  return { model: body.model, maxTokens, stream: body.stream === true, request };
}

/** The model of `/v1/models` for a registered model `m` and the asks of its eligible providers. */
export function modelEntry(m, asks) {
  const name = Buffer.from(m.name.slice(2), 'hex').toString('utf8');
  return {
    id: name,
    object: 'model',
    created: 0,
    owned_by: m.creator,
    mosaic: {
      id: m.id,
      contextLength: m.contextLength,
      fileType: m.fileType,
      parameters: m.parameters,
      chat: m.chatTemplate !== null,
      pricePerToken: asks.length ? asks.reduce((a, b) => (BigInt(b) < BigInt(a) ? b : a)) : null,
      royaltyBps: m.royaltyBps,
      providers: asks.length,
    },
  };
}

/** `finish_reason` of an answer of `tokens` for `maxTokens`. */
export const finishReason = (tokens, maxTokens) => (tokens >= maxTokens ? 'length' : 'stop');

/** A whole answer (non-streaming). */
export function completion({ chat, id, model, created, text, tokens, maxTokens, mosaic }) {
  const choice = chat
    ? { index: 0, message: { role: 'assistant', content: text }, finish_reason: finishReason(tokens, maxTokens), logprobs: null }
    : { index: 0, text, finish_reason: finishReason(tokens, maxTokens), logprobs: null };
  return {
    id,
    object: chat ? 'chat.completion' : 'text_completion',
    created,
    model,
    choices: [choice],
    usage: usage(tokens),
    mosaic,
  };
}

/** One streamed chunk: `text` added (or the final one, with `finish` and `usage`). */
export function chunk({ chat, id, model, created, text, first = false, finish = null, tokens = null, mosaic }) {
  const choice = chat
    ? { index: 0, delta: finish ? {} : { ...(first ? { role: 'assistant' } : {}), content: text }, finish_reason: finish, logprobs: null }
    : { index: 0, text: finish ? '' : text, finish_reason: finish, logprobs: null };
  return {
    id,
    object: chat ? 'chat.completion.chunk' : 'text_completion',
    created,
    model,
    choices: [choice],
    ...(finish ? { usage: usage(tokens), mosaic } : {}),
  };
}

/**
 * Usage as the chain knows it: the tokens generated and paid for. The chain does not count
 * prompt tokens (it bounds them by bytes), so `prompt_tokens` is 0 and `mosaic` says so.
 */
function usage(tokens) {
  return { prompt_tokens: 0, completion_tokens: tokens, total_tokens: tokens };
}
