import { defineConfig } from "vite";

// Served by CallCenter.Server at /console/ (src/CallCenter.Server/Console/ConsoleHosting.cs).
export default defineConfig({
  base: "/console/",
  build: { outDir: "dist", emptyOutDir: true, sourcemap: true },
  server: {
    // `npm run dev` against ./run.sh's server: the API, the hub and the session cookie stay same-origin.
    proxy: { "/api": "http://127.0.0.1:5080", "/hubs": { target: "http://127.0.0.1:5080", ws: true } },
  },
});
