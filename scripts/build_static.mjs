// Copy the browser assets that jiceng serves itself from node_modules into jiceng/static/vendor/.
//
// Government intranets have no internet, so nothing is loaded from a CDN at run time.
// Uses only Node's standard library. Run after `npm ci`:   npm ci --no-audit --no-fund && npm run build
//
// The output folder is git-ignored and rebuilt from scratch on every run, so a file dropped from this
// list disappears from vendor/ too. Source maps are copied alongside the files that name them: Django's
// ManifestStaticFilesStorage (used in production through WhiteNoise) rewrites sourceMappingURL comments
// and fails collectstatic if the map is missing.

import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const modules = join(root, "node_modules");
const out = join(root, "jiceng", "static", "vendor");

// [package, file inside the package, destination inside vendor/]
const FILES = [
  ["bootstrap", "dist/css/bootstrap.min.css", "bootstrap.min.css"],
  ["bootstrap", "dist/css/bootstrap.min.css.map", "bootstrap.min.css.map"],
  ["bootstrap", "dist/js/bootstrap.bundle.min.js", "bootstrap.bundle.min.js"],
  ["bootstrap", "dist/js/bootstrap.bundle.min.js.map", "bootstrap.bundle.min.js.map"],
  ["bootstrap", "LICENSE", "licenses/bootstrap.txt"],
  ["bootstrap-icons", "font/bootstrap-icons.min.css", "bootstrap-icons.min.css"],
  ["bootstrap-icons", "font/fonts/bootstrap-icons.woff2", "fonts/bootstrap-icons.woff2"],
  ["bootstrap-icons", "font/fonts/bootstrap-icons.woff", "fonts/bootstrap-icons.woff"],
  ["bootstrap-icons", "LICENSE", "licenses/bootstrap-icons.txt"],
  ["htmx.org", "dist/htmx.min.js", "htmx.min.js"],
  ["htmx.org", "LICENSE", "licenses/htmx.txt"],
  ["echarts", "dist/echarts.min.js", "echarts.min.js"],
  ["echarts", "LICENSE", "licenses/echarts.txt"],
  ["echarts", "NOTICE", "licenses/echarts-NOTICE.txt"],
];

function fail(message) {
  console.error(`build_static: ${message}`);
  process.exit(1);
}

if (!existsSync(modules)) {
  fail("node_modules/ is missing; run `npm ci --no-audit --no-fund` first.");
}

const missing = FILES.map(([pkg, file]) => join(modules, pkg, file)).filter((p) => !existsSync(p));
if (missing.length) {
  fail(`missing files (wrong package version?):\n  ${missing.map((p) => relative(root, p)).join("\n  ")}`);
}

rmSync(out, { recursive: true, force: true });

const versions = {};
for (const [pkg, file, dest] of FILES) {
  const target = join(out, dest);
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(join(modules, pkg, file), target);
  if (!(pkg in versions)) {
    versions[pkg] = JSON.parse(readFileSync(join(modules, pkg, "package.json"), "utf8")).version;
  }
}

const lines = Object.entries(versions).map(([pkg, version]) => `${pkg} ${version}`);
writeFileSync(
  join(out, "VERSIONS.txt"),
  `# Written by scripts/build_static.mjs; do not edit.\n${lines.join("\n")}\n`,
);

console.log(`build_static: copied ${FILES.length} files to ${relative(root, out)}/ (${lines.join(", ")})`);
