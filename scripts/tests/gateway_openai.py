"""The official `openai` Python client against Mosaic's gateway (scripts/gateway.mjs).

Run by scripts/tests/gateway.test.mjs with the gateway's URL and key in the environment:
MOSAIC_GATEWAY_URL, MOSAIC_GATEWAY_KEY, MOSAIC_CHAT_MODEL (the model to ask), MOSAIC_REAL
("1" when that model is the real SmolLM2: answers are then checked for content),
MOSAIC_NO_PROVIDER_MODEL (a model nobody serves), MOSAIC_UNANSWERED_MODEL (a model whose
provider cannot run it) and MOSAIC_PATH ("sessions" or "jobs": how the gateway answers). Prints one line per check; exits non-zero on the first failure.
"""
import hashlib
import os
import sys

import openai

URL = os.environ["MOSAIC_GATEWAY_URL"]
KEY = os.environ["MOSAIC_GATEWAY_KEY"]
MODEL = os.environ["MOSAIC_CHAT_MODEL"]
REAL = os.environ.get("MOSAIC_REAL") == "1"
QUESTION = [{"role": "user", "content": "What is the capital of France?"}]

client = openai.OpenAI(base_url=URL, api_key=KEY, max_retries=0, timeout=300)


def check(name, condition, detail=""):
    print(("ok   " if condition else "FAIL ") + name + (f": {detail}" if detail else ""), flush=True)
    if not condition:
        sys.exit(1)


def blake2b_256(data: bytes) -> str:
    return "0x" + hashlib.blake2b(data, digest_size=32).hexdigest()


models = client.models.list()
names = [m.id for m in models.data]
check("models lists the served models", MODEL in names, str(names))
entry = next(m for m in models.data if m.id == MODEL)
check("a model entry carries Mosaic's fields", entry.model_extra["mosaic"]["contextLength"] > 0, str(entry.model_extra))

answer = client.chat.completions.create(model=MODEL, messages=QUESTION, max_tokens=32)
text = answer.choices[0].message.content
check("a chat completion answers", answer.choices[0].message.role == "assistant" and len(text) > 0, repr(text))
if REAL:
    check("the answer is right", "Paris" in text, repr(text))
mosaic = answer.model_extra["mosaic"]
PATH = os.environ.get("MOSAIC_PATH", "jobs")
check(f"the answer came over {PATH}", ("session" in mosaic) == (PATH == "sessions"), str(mosaic))
check("the answer carries its attestation", mosaic["attestation"]["outputHash"] == blake2b_256(text.encode()), str(mosaic))
check("and its receipt", int(mosaic["receipt"]["paid"]) > 0, str(mosaic["receipt"]))
check("usage counts the paid tokens", answer.usage.completion_tokens == mosaic["attestation"]["tokens"])

stream = client.chat.completions.create(model=MODEL, messages=QUESTION, max_tokens=32, stream=True)
pieces, final = [], None
for part in stream:
    if part.choices and part.choices[0].delta.content:
        pieces.append(part.choices[0].delta.content)
    if part.choices and part.choices[0].finish_reason:
        final = part
streamed = "".join(pieces)
# A short answer may be complete before the subscription starts: it then comes as one chunk.
check("a streamed chat completion arrives", len(pieces) >= 1, f"{len(pieces)} chunks: {pieces!r}")
check("the stream ends with usage", final is not None and final.usage.completion_tokens > 0)
attested = final.model_extra["mosaic"]["attestation"]["outputHash"]
check("the chunks concatenate to the attested output", blake2b_256(streamed.encode()) == attested, repr(streamed))
check("the same request gives the same answer streamed", streamed == text, f"{streamed!r} vs {text!r}")

sampled = client.completions.create(model=MODEL, prompt="The capital of France is", max_tokens=8, temperature=0.5, seed=7)
check("a sampled text completion answers", len(sampled.choices[0].text) > 0, repr(sampled.choices[0].text))


def expect(status, error_class, call, name):
    try:
        call()
    except error_class as e:
        check(name, e.status_code == status and e.body is not None, f"{e.status_code} {e.body}")
        return e
    check(name, False, "no error")


expect(401, openai.AuthenticationError,
       lambda: openai.OpenAI(base_url=URL, api_key="wrong", max_retries=0).models.list(), "401 for a wrong key")
expect(404, openai.NotFoundError,
       lambda: client.chat.completions.create(model="no-such-model", messages=QUESTION), "404 for an unknown model")
expect(400, openai.BadRequestError,
       lambda: client.chat.completions.create(model=MODEL, messages=QUESTION, temperature=3), "400 for a temperature above 2")
expect(400, openai.BadRequestError,
       lambda: client.chat.completions.create(model=MODEL, messages=[{"role": "robot", "content": "hi"}]), "400 for an unknown role")
expect(400, openai.BadRequestError,
       lambda: client.chat.completions.create(model=MODEL, messages=QUESTION, stop=["a", "b", "c", "d", "e"]), "400 for five stop sequences")
expect(503, openai.InternalServerError,
       lambda: client.completions.create(model=os.environ["MOSAIC_NO_PROVIDER_MODEL"], prompt="Hi", max_tokens=8), "503 when no provider serves the model")
expect(400, openai.BadRequestError,
       lambda: client.chat.completions.create(model=os.environ["MOSAIC_NO_PROVIDER_MODEL"], messages=QUESTION), "400 for chat with a model without a template")
e = expect(504, openai.InternalServerError,
           lambda: client.completions.create(model=os.environ["MOSAIC_UNANSWERED_MODEL"], prompt="Hi", max_tokens=8), "504 when no answer comes")
check("the 504 says the escrow was refunded", "refunded on chain" in e.body["message"], str(e.body))
print("all openai checks passed")
