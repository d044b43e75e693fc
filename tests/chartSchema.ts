/** The z2jh 4.4.0 values schema the loader ships, as Helm applies it: chart defaults merged with every values source. */
import * as assert from "assert";
import Ajv from "ajv";
import schema from "../components/config/charts/jupyterhub/4.4.0/values.schema.json";
import CHART_DEFAULTS from "../components/config/charts/jupyterhub/4.4.0/values.json";
import { deepMerge } from "../components/util";

/** The chart's default values.yaml, as JSON. */
export { CHART_DEFAULTS };

const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);

/** Fails with the schema's errors unless the chart would accept `sources` merged in order over its defaults. */
export function assertChartAccepts(what: string, ...sources: object[]): void {
    const merged = sources.reduce((acc, source) => deepMerge(acc, source), CHART_DEFAULTS as object);
    assert.ok(validate(merged), `z2jh 4.4.0 schema rejects ${what}: ${JSON.stringify(validate.errors, null, 1)}`);
}
