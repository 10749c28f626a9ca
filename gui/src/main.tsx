/** The manager's entry point (bundled by scripts/build-gui.mjs into dist/gui/app.js). */
import { render } from "preact";
import { App } from "./app.js";
import "../app.css";

const root = document.getElementById("app");
if (root) {
  root.textContent = "";
  render(<App />, root);
}
