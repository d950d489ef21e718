// Hands documents to the sanitizer worker (web/static/sanitizer_worker.js), started
// the first time a message needs it, and waits for its answers. A document that
// takes longer than TIME_LIMIT_MS stops the worker (a new one starts for the next
// request) and fails with "too slow", so the reader can offer its plain text.
const TIME_LIMIT_MS = 10000;

let worker = null;
let nextId = 0;
const waiting = new Map();

function failAll(message) {
  for (const { reject, timer } of waiting.values()) {
    clearTimeout(timer);
    reject(new Error(message));
  }
  waiting.clear();
}

function startWorker() {
  const started = new Worker("/static/sanitizer_worker.js", { type: "module" });
  started.onmessage = ({ data: { id, result, error } }) => {
    const request = waiting.get(id);
    if (!request) return;
    waiting.delete(id);
    clearTimeout(request.timer);
    if (error === undefined) request.resolve(result);
    else request.reject(new Error(error));
  };
  started.onerror = (event) => {
    event.preventDefault();
    started.terminate();
    if (worker === started) worker = null;
    failAll("the sanitizer could not run: " + (event.message || "worker error"));
  };
  return started;
}

function ask(request) {
  worker ??= startWorker();
  const id = ++nextId;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      worker?.terminate();
      worker = null;
      waiting.delete(id);
      failAll("too slow");
      reject(new Error("too slow"));
    }, TIME_LIMIT_MS);
    waiting.set(id, { resolve, reject, timer });
    worker.postMessage({ id, ...request });
  });
}

export function sanitize_html(html, allowRemote, inline) {
  return ask({ html, allowRemote, inline: Array.from(inline) });
}

export function html_plain_text(html) {
  return ask({ html, textOnly: true });
}
