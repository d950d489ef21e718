// Loads the HTML sanitizer module (web/sanitizer, built into /pkg/sanitizer) the first
// time it is needed, then hands it each document to clean.
let loading;

export async function sanitize_html(html, allowRemote, inline) {
  loading ??= import("/pkg/sanitizer/postern_sanitizer.js").then(async (module) => {
    await module.default();
    return module;
  });
  const module = await loading;
  return module.sanitize(html, allowRemote, inline);
}
