// Two sites from one toolchain: `vite build --mode app` (the customer web app, deployed to S3 and
// CloudFront) and `vite build --mode map` (the local cloud's boundary map, never deployed).
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const sites = ["app", "map"] as const;
type Site = (typeof sites)[number];

export default defineConfig(({ mode }) => {
  if (!sites.includes(mode as Site)) {
    throw new Error(`build with --mode ${sites.join(" or --mode ")}, not ${mode}`);
  }
  const site = mode as Site;
  return {
    root: fileURLToPath(new URL(`./${site}`, import.meta.url)),
    base: "/",
    publicDir: false,
    // Preact's JSX runtime, compiled by Vite's own esbuild: no Babel, no plugin.
    esbuild: { jsx: "automatic", jsxImportSource: "preact" },
    build: {
      outDir: fileURLToPath(new URL(`./dist/${site}`, import.meta.url)),
      emptyOutDir: true,
      target: "es2022",
      // Evergreen browsers load modules natively; the polyfill would be one more script to allow.
      modulePreload: { polyfill: false },
      assetsInlineLimit: 0,
    },
  };
});
