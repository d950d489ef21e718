// Loads Postern's WebAssembly module. Everything else happens in Rust (web/src).
import init from "/pkg/postern_web.js";

const app = document.getElementById("app");
try {
  await init();
  app.removeAttribute("aria-busy");
} catch (error) {
  app.removeAttribute("aria-busy");
  app.textContent = "Postern could not start in this browser: " + error;
  throw error;
}
