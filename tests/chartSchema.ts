/** The z2jh 4.4.0 values schema, as Helm applies it: chart defaults merged with every values source. */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import Ajv from "ajv";
import { parse as parseYaml } from "yaml";
import { deepMerge } from "../components/util";

const SCHEMA_DIR = path.join(__dirname, "fixtures", "z2jh-4.4.0");
const chartDefaults = parseYaml(fs.readFileSync(path.join(SCHEMA_DIR, "values.yaml"), "utf8"));
const validate = new Ajv({ strict: false, allErrors: true })
    .compile(JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, "values.schema.json"), "utf8")));

/** Fails with the schema's errors unless the chart would accept `sources` merged in order over its defaults. */
export function assertChartAccepts(what: string, ...sources: object[]): void {
    const merged = sources.reduce((acc, source) => deepMerge(acc, source), chartDefaults);
    assert.ok(validate(merged), `z2jh 4.4.0 schema rejects ${what}: ${JSON.stringify(validate.errors, null, 1)}`);
}
