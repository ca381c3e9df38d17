// A token bucket shared by the API's request handlers. (The code the
// `code-review` example reviews: it has a few problems on purpose.)

const buckets = {};

export function allow(client, now = Date.now()) {
  let bucket = buckets[client];
  if (!bucket) {
    bucket = buckets[client] = { tokens: 10, updated: now };
  }
  const elapsed = now - bucket.updated;
  bucket.tokens = bucket.tokens + elapsed * 0.01;
  bucket.updated = now;
  if (bucket.tokens > 0) {
    bucket.tokens -= 1;
    return true;
  }
  return false;
}

export function reset(client) {
  delete buckets[client];
}
