/** Raw z2jh values are checked against the chart version's values schema before deploy (issue 17). */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import Ajv from "ajv";
import { DEFAULT_CHART_VERSION } from "../components/config";
import { CHART_SCHEMA_VERSIONS, helmMerge } from "../components/config/chartValues";
import { expectExactly, fleetWith, problemsOf } from "./configProblems";

const CHARTS = path.join(__dirname, "..", "components", "config", "charts", "jupyterhub");

describe("config: raw values against the chart's values schema", () => {
    it("reports typos with their key path and a suggestion, type and enum errors, at the line that sets them", () => {
        expectExactly(problemsOf(fleetWith(f => {
            f.hubDefaults.values = { cull: { timeout: 3600, evry: 60 } };
            f.hubs.staging.values = {
                singleusr: { memory: { limit: "4G" } },
                singleuser: { cpu: { limit: "2" }, storage: { type: "nfs" } },
                hub: { config: { jupyterhub: { log_level: "DEBUG" } } },
            };
        })),
        "hubDefaults.values.cull.evry: unknown key (did you mean every? z2jh 4.4.2 has no evry here)",
        "hubs.staging.values.singleusr: unknown key (did you mean singleuser? z2jh 4.4.2 has no singleusr here)",
        "hubs.staging.values.singleuser.cpu.limit: expected a number or null, got string \"2\" (change it: z2jh 4.4.2 takes a number or null here)",
        "hubs.staging.values.singleuser.storage.type: string \"nfs\" is not allowed (z2jh 4.4.2 takes one of: \"dynamic\", \"static\", \"none\")",
        "hubs.staging.values.hub.config.jupyterhub: unknown key (did you mean JupyterHub? z2jh 4.4.2 has no jupyterhub here)");
    });

    it("merges over the chart's defaults as helm does: null removes a default", () => {
        assert.deepStrictEqual(helmMerge({ a: { b: 1, c: 2 }, d: [1] }, { a: { b: null, e: 3 }, d: [2] }), { a: { c: 2, e: 3 }, d: [2] });
        expectExactly(problemsOf(fleetWith(f => { f.hubs.staging.values = { cull: null }; })),
            "hubs.staging.values.cull: missing required field (z2jh 4.4.2 requires it here)");
    });

    it("refuses a chart version with no schema in the repository, and says how to add one", () => {
        const fix = "use one of: 4.4.0, 4.4.1, 4.4.2, or add 4.5.0 as components/config/charts/jupyterhub/README.md describes";
        expectExactly(problemsOf(fleetWith(f => { f.hubs.staging.chartVersion = "4.5.0"; })),
            `hubs.staging.chartVersion: z2jh 4.5.0 has no values schema in this repository (${fix})`);
        expectExactly(problemsOf(fleetWith(f => { f.hubDefaults.chartVersion = "4.5.0"; })),
            `hubDefaults.chartVersion: z2jh 4.5.0 has no values schema in this repository (${fix})`);
    });
});

describe("shipped chart schemas", () => {
    const folders = fs.readdirSync(CHARTS, { withFileTypes: true }).filter(entry => entry.isDirectory()).map(entry => entry.name);

    it("cover the default chart version, and every version listed has a folder", () => {
        assert.ok(DEFAULT_CHART_VERSION in CHART_SCHEMA_VERSIONS);
        for (const folder of Object.values(CHART_SCHEMA_VERSIONS)) assert.ok(folders.includes(folder), `no folder ${folder}`);
    });

    for (const folder of folders) {
        it(`${folder}: the schema is valid draft-07, the chart's own defaults pass it, and checking key by key finds what the whole schema finds`, () => {
            const schema = JSON.parse(fs.readFileSync(path.join(CHARTS, folder, "values.schema.json"), "utf8"));
            const defaults: Record<string, unknown> = JSON.parse(fs.readFileSync(path.join(CHARTS, folder, "values.json"), "utf8"));
            const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
            assert.ok(validate(defaults), JSON.stringify(validate.errors));
            // The loader validates the root level and each top-level key apart (chartValues.ts): that is the
            // whole schema only while the root holds nothing that spans keys.
            assert.deepStrictEqual(Object.keys(schema).sort(), ["$schema", "additionalProperties", "properties", "required", "type"]);
            assert.ok(!JSON.stringify(schema).includes("\"$ref\""), "a $ref could tie one key's schema to another's");
            const values = { singleusr: {}, cull: null, singleuser: { cpu: { limit: "2" }, storage: { type: "nfs" } }, hub: { config: { jupyterhub: {} } } };
            validate(helmMerge(defaults, values));
            const whole = (validate.errors ?? []).filter(e => e.keyword !== "if").map(e => `${e.instancePath} ${e.keyword}`).sort();
            const problems = problemsOf(fleetWith(f => { f.hubs.staging.values = values; f.hubs.staging.chartVersion = folder; }));
            assert.strictEqual(problems.length, whole.length, `${problems.join("\n")}\n---\n${whole.join("\n")}`);
        });
    }
});
