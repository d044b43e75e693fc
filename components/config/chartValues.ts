/**
 * Raw z2jh values against the values schema of the exact chart version a hub installs, merged over the
 * chart's defaults as helm merges them: helm validates the merged values and would refuse the same typo at
 * install time. The schemas ship in charts/jupyterhub (README.md there says how to add a version); they are
 * JSON imports so that `npm run build` copies them into bin/ beside this file. The chart's own defaults
 * pass its schema (tested), so only what the values set can fail.
 */
import Ajv, { ErrorObject, ValidateFunction } from "ajv";
import { closestMatch, isPlainObject, PlainObject } from "../util";
import schema440 from "./charts/jupyterhub/4.4.0/values.schema.json";
import defaults440 from "./charts/jupyterhub/4.4.0/values.json";
import versions from "./charts/jupyterhub/versions.json";
import { describe, PathPart, Problems } from "./errors";
import { valuesOrigin, ValuesSources } from "./values";

/** Schema folders in charts/jupyterhub, by name. */
const SCHEMAS: Record<string, { readonly schema: object; readonly defaults: PlainObject }> = {
    "4.4.0": { schema: schema440, defaults: defaults440 },
};

/** Chart version -> schema folder (charts/jupyterhub/versions.json records why versions share one). */
export const CHART_SCHEMA_VERSIONS: Readonly<Record<string, string>> =
    Object.fromEntries(Object.entries(versions as Record<string, { schema: string }>).map(([version, entry]) => [version, entry.schema]));

const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, code: { optimize: false } });
const compiled = new Map<string, ValidateFunction>();

/**
 * A validator for one top-level key's schema, or for the root level alone (`key` ""), compiled once per
 * process. The z2jh schema's root holds only type, required, additionalProperties and properties, and no
 * property's schema refers to another's, so validating the root level and each top-level key apart is
 * validating the whole; compiling the whole schema takes about a second, and most hubs set a few keys.
 * strict: false because the chart's schema carries keywords ajv's strict mode rejects; the schema itself
 * is checked against the meta-schema by the tests, not on every load.
 */
function validatorFor(folder: string, key: string): ValidateFunction {
    const id = `${folder}/${key}`;
    let validate = compiled.get(id);
    if (!validate) {
        const schema = SCHEMAS[folder].schema as { properties: Record<string, object> };
        validate = ajv.compile(key === "" ? { ...schema, properties: Object.fromEntries(Object.keys(schema.properties).map(k => [k, true])) }
            : schema.properties[key]);
        compiled.set(id, validate);
    }
    return validate;
}

/** The schema's errors for `data`, validating the root level and each top-level key `values` sets. */
function schemaErrors(folder: string, data: PlainObject, values: PlainObject): ErrorObject[] {
    const properties = (SCHEMAS[folder].schema as { properties: Record<string, object> }).properties;
    const errors: ErrorObject[] = [];
    const root = validatorFor(folder, "");
    if (!root(data)) errors.push(...root.errors ?? []);
    for (const key of Object.keys(values).filter(key => Object.hasOwn(properties, key) && data[key] !== undefined)) {
        const validate = validatorFor(folder, key);
        if (validate(data[key])) continue;
        const pointer = `/${key.replace(/~/g, "~0").replace(/\//g, "~1")}`;
        errors.push(...(validate.errors ?? []).map(error => ({
            ...error, instancePath: `${pointer}${error.instancePath}`, schemaPath: error.schemaPath.replace(/^#/, `#/properties${pointer}`),
        })));
    }
    return errors;
}

/**
 * Helm's coalescing of user values over chart defaults: maps merge, anything else replaces, and a null
 * removes the default (helm's chartutil.CoalesceValues).
 */
export function helmMerge(defaults: PlainObject, overlay: PlainObject): PlainObject {
    const merged: PlainObject = { ...defaults };
    for (const [key, value] of Object.entries(overlay)) {
        if (value === null) delete merged[key];
        else merged[key] = isPlainObject(value) && isPlainObject(merged[key]) ? helmMerge(merged[key] as PlainObject, value) : value;
    }
    return merged;
}

/** The schema at a JSON pointer such as `#/properties/hub/additionalProperties`, without its last segment. */
function schemaParent(schema: object, schemaPath: string): PlainObject {
    let current: unknown = schema;
    for (const part of schemaPath.replace(/^#\//, "").split("/").slice(0, -1)) {
        current = isPlainObject(current) || Array.isArray(current) ? (current as Record<string, unknown>)[part.replace(/~1/g, "/").replace(/~0/g, "~")] : undefined;
    }
    return isPlainObject(current) ? current : {};
}

/** The values path of an ajv instance path, with list positions as numbers. */
function valuesPath(data: unknown, instancePath: string): PathPart[] {
    const path: PathPart[] = [];
    let current = data;
    for (const raw of instancePath.split("/").slice(1)) {
        const part = raw.replace(/~1/g, "/").replace(/~0/g, "~");
        path.push(Array.isArray(current) ? Number(part) : part);
        current = (current as Record<string, unknown> | undefined)?.[part];
    }
    return path;
}

function valueAt(data: unknown, path: readonly PathPart[]): unknown {
    return path.reduce<unknown>((current, part) => (current as Record<PathPart, unknown> | undefined)?.[part], data);
}

function problemFor(error: ErrorObject, data: unknown, version: string, schema: object): [PathPart[], string, string] | undefined {
    const at = valuesPath(data, error.instancePath);
    switch (error.keyword) {
        case "additionalProperties": {
            const key = (error.params as { additionalProperty: string }).additionalProperty;
            const level = schemaParent(schema, error.schemaPath);
            const known = Object.keys(isPlainObject(level.properties) ? level.properties : {});
            const patterns = Object.keys(isPlainObject(level.patternProperties) ? level.patternProperties : {});
            const guess = closestMatch(key, known);
            return [[...at, key], "unknown key", guess ? `did you mean ${guess}? z2jh ${version} has no ${key} here`
                : patterns.length ? `z2jh ${version} takes here only ${known.length ? `${known.join(", ")} and ` : ""}keys matching ${patterns.join(", ")}`
                    : `z2jh ${version} takes here only: ${known.join(", ")}`];
        }
        case "required": {
            const missing = (error.params as { missingProperty: string }).missingProperty;
            return [[...at, missing], "missing required field", `z2jh ${version} requires it here`];
        }
        case "type": {
            const expected = String((error.params as { type: string }).type).replace(/,/g, " or ");
            return [at, `expected a ${expected}, got ${describe(valueAt(data, at))}`, `change it: z2jh ${version} takes a ${expected} here`];
        }
        case "enum":
            return [at, `${describe(valueAt(data, at))} is not allowed`,
                `z2jh ${version} takes one of: ${(error.params as { allowedValues: unknown[] }).allowedValues.map(v => JSON.stringify(v)).join(", ")}`];
        case "if":
            return undefined;  // the failing "then" keywords are reported themselves
        default:
            return [at, `${describe(valueAt(data, at))} ${error.message}`, `see the z2jh ${version} configuration reference`];
    }
}

/**
 * Checks a hub's merged raw values (hubDefaults.values + hubs.<key>.values) against its chart version's
 * schema; `chartVersionPath` is where the version is set, for a version without a schema.
 */
export function checkChartValues(chartVersion: string, values: PlainObject, sources: ValuesSources,
    chartVersionPath: readonly PathPart[], problems: Problems): void {
    const folder = CHART_SCHEMA_VERSIONS[chartVersion];
    if (!folder || !SCHEMAS[folder]) {
        problems.add(chartVersionPath, `z2jh ${chartVersion} has no values schema in this repository`,
            `use one of: ${Object.keys(CHART_SCHEMA_VERSIONS).join(", ")}, or add ${chartVersion} as components/config/charts/jupyterhub/README.md describes`);
        return;
    }
    const data = helmMerge(SCHEMAS[folder].defaults, values);
    for (const error of schemaErrors(folder, data, values)) {
        const problem = problemFor(error, data, chartVersion, SCHEMAS[folder].schema);
        if (problem) problems.add(valuesOrigin(sources, problem[0]), problem[1], problem[2]);
    }
}
