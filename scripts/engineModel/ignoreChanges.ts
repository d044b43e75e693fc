/**
 * What `ignoreChanges` really does to an update, in two steps, so tests can run a config edit through them
 * instead of trusting the mocks (which only see the inputs the program registers):
 *
 * 1. The engine (`engineUpdateInputs`): before it diffs or updates a resource, it copies every ignored path from
 *    the resource's OLD INPUTS (as stored in the state) into the new inputs. The provider never sees the value
 *    the program computed for an ignored path. Source: pulumi/pulumi `pkg/resource/deploy/step_generator.go`
 *    `processIgnoreChanges` (called from `generateSteps` with `old.Inputs`), which calls
 *    `sdk/go/common/resource/properties_path.go` `PropertyPath.Reset`.
 *
 * 2. A Terraform-bridged provider (`bridgedUpdateValues`): the bridge turns those inputs into Terraform config,
 *    plans the change against the PRIOR STATE (the outputs stored after the last create, update or refresh), and
 *    drops the planned diff of every ignored attribute, so the resource's Update reads the prior state's value
 *    there (`d.Get`). Attributes that are Optional+Computed and absent from the config also keep the prior state.
 *    Sources: pulumi/pulumi-terraform-bridge `pkg/tfbridge/provider.go` `Update` (passes `IgnoreChanges` to the
 *    diff), `pkg/tfshim/sdk-v2/provider2.go` `PlanResourceChange` (`TransformInstanceDiff`) and
 *    `pkg/tfshim/sdk-v2/instance_diff.go` `processIgnoreChanges` (deletes the ignored attribute diffs).
 *
 * Modeled: object keys and array indices (`a.b`, `a[0]`, `a["b.c"]`). Not modeled: `*` wildcards and secret
 * re-marking; a path using them is refused rather than modeled wrongly.
 */

export type PropertyMap = Record<string, unknown>;
type PathElement = string | number;

/** Parses an ignoreChanges path (`scalingConfig.desiredSize`, `tags["a.b"]`, `rules[0].id`). */
export function parsePropertyPath(path: string): PathElement[] {
    const elements: PathElement[] = [];
    const pattern = /^(?:\.?([A-Za-z_$][\w$-]*)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\])/;
    let rest = path;
    while (rest.length > 0) {
        const match = pattern.exec(rest);
        if (!match || (elements.length === 0 && rest.startsWith("."))) {
            throw new Error(`ignoreChanges path "${path}": cannot parse "${rest}" (the model handles keys, [index] and ["key"])`);
        }
        if (match[1] !== undefined) elements.push(match[1]);
        else if (match[2] !== undefined) elements.push(Number(match[2]));
        else elements.push(match[3].replace(/\\(.)/g, "$1"));
        rest = rest.slice(match[0].length);
    }
    if (elements.some(e => e === "*")) {
        throw new Error(`ignoreChanges path "${path}": wildcards are not modeled`);
    }
    if (elements.length === 0) throw new Error("ignoreChanges path is empty");
    return elements;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * `PropertyPath.reset`: sets `path` in `dest` to its value in `source` (deleting it from `dest` where `source`
 * lacks it), never creating intermediate objects or array slots. Returns false on a path error (the engine
 * then reports "cannot ignore changes in added or removed elements of the path" and keeps going).
 */
function resetPath(path: PathElement[], source: unknown, dest: unknown): boolean {
    const [key, ...rest] = path;
    if (typeof key === "number") {
        if (!Array.isArray(source) || !Array.isArray(dest)) return !Array.isArray(source) && !Array.isArray(dest);
        if (rest.length === 0) {
            if (key >= source.length && key >= dest.length) return true;
            if (key >= source.length || key >= dest.length) return false;
            dest[key] = structuredClone(source[key]);
            return true;
        }
        if (key >= source.length || key >= dest.length) return false;
        return resetPath(rest, source[key], dest[key]);
    }
    if (rest.length === 0) {
        if (isObject(source) && key in source) {
            if (!isObject(dest)) return false;
            dest[key] = structuredClone(source[key]);
        } else if (isObject(dest)) {
            delete dest[key];
        }
        return true;
    }
    if (!isObject(source) || !isObject(dest)) return !isObject(source) && !isObject(dest);
    const hasSource = key in source;
    const hasDest = key in dest;
    if (hasSource && !hasDest) return false;
    if (!hasSource && !hasDest) return true;
    return resetPath(rest, source[key], dest[key]);
}

export interface EngineUpdate {
    /** The inputs the engine hands the provider's Diff and Update. */
    readonly inputs: PropertyMap;
    /** Paths the engine could not reset (it logs them and carries on). */
    readonly invalidPaths: readonly string[];
}

/**
 * The engine's `processIgnoreChanges` for an update: `newInputs` with every ignored path taken from
 * `oldInputs`, the inputs stored in the state by the previous deployment.
 */
export function engineUpdateInputs(oldInputs: PropertyMap, newInputs: PropertyMap, ignoreChanges: readonly string[]): EngineUpdate {
    const inputs = structuredClone(newInputs);
    const invalidPaths = ignoreChanges.filter(path => !resetPath(parsePropertyPath(path), oldInputs, inputs));
    return { inputs, invalidPaths };
}

/**
 * The values a Terraform-bridged (SDKv2) resource's Update reads: the inputs the engine passed, except that
 * every ignored path and every Optional+Computed attribute the inputs omit (`optionalComputed`, top-level
 * names) hold the prior state's value.
 */
export function bridgedUpdateValues(priorState: PropertyMap, engineInputs: PropertyMap, ignoreChanges: readonly string[],
    optionalComputed: readonly string[] = []): PropertyMap {
    const values = structuredClone(engineInputs);
    for (const name of optionalComputed) {
        if (!(name in values) && name in priorState) values[name] = structuredClone(priorState[name]);
    }
    for (const path of ignoreChanges) resetPath(parsePropertyPath(path), priorState, values);
    return values;
}
