import { render } from "preact";

import { App } from "./App";

const root = document.getElementById("map");
if (root) {
  root.replaceChildren();
  render(<App />, root);
}
