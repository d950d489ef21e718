// The HTML sanitizer (web/sanitizer) in a worker of its own: cleaning a hostile
// document can take long, and the page must answer input meanwhile. Each request is
// { id, html, allowRemote, inline } (clean it) or { id, html, textOnly: true } (its
// plain text); each answer is { id, result } or { id, error }.
import init, { sanitize, plain_text } from "/pkg/sanitizer/postern_sanitizer.js";

const ready = init();

self.onmessage = async ({ data }) => {
  const { id, html, allowRemote, inline, textOnly } = data;
  try {
    await ready;
    const result = textOnly ? plain_text(html) : sanitize(html, allowRemote, inline);
    self.postMessage({ id, result });
  } catch (error) {
    self.postMessage({ id, error: String(error) });
  }
};
