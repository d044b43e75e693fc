/**
 * What the Kubernetes provider does to a helm `Release` at Check, before anything reaches the state: a
 * model of pulumi/pulumi-kubernetes `provider/pkg/provider/helm_release.go` (commit 9497796, 2026-07-01).
 *
 * - `decodeRelease` strips secret markers, parses every `valueYamlFiles` asset as YAML and merges them in
 *   order (`helm.MergeMaps`: maps merge key by key, anything else replaces), then merges the inline `values`
 *   on top. The `Release` struct has no `valueYamlFiles` field: what the files held now lives in `values`.
 * - `Check` then rebuilds the inputs from that struct and calls `annotateSecrets(news, newInputs)`
 *   (`provider/pkg/provider/provider.go`): where both sides are objects it recurses; anywhere else, the
 *   checked value is marked secret only if the program's own input at that key contained a secret. Nothing
 *   under `valueYamlFiles` is looked at, so a secret delivered in a values file is stored in plain text.
 *
 * The model works on inputs as the SDK sends them (`RecordedResource.wireInputs`): secrets and assets are
 * objects tagged with the SDK's signature keys.
 */
import * as pulumi from "@pulumi/pulumi";
import { parse as parseYaml } from "yaml";

type Wire = unknown;
const SIG = pulumi.runtime.specialSigKey;
/** sdk/nodejs/runtime/rpc.ts `specialAssetSig`. */
const ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17";

interface SecretWire { readonly value: Wire }

export function isSecretWire(value: Wire): value is SecretWire {
    return !!value && typeof value === "object" && (value as Record<string, unknown>)[SIG] === pulumi.runtime.specialSecretSig;
}

function secretWire(value: Wire): SecretWire {
    return { [SIG]: pulumi.runtime.specialSecretSig, value } as SecretWire;
}

function isObject(value: Wire): value is Record<string, Wire> {
    return !!value && typeof value === "object" && !Array.isArray(value) && !isSecretWire(value);
}

/** `resource.PropertyValue.ContainsSecrets`. */
function containsSecrets(value: Wire): boolean {
    if (isSecretWire(value)) return true;
    if (Array.isArray(value)) return value.some(containsSecrets);
    if (isObject(value)) return Object.values(value).some(containsSecrets);
    return false;
}

/** `mapReplStripSecrets`: the plain value. */
export function stripSecrets(value: Wire): Wire {
    if (isSecretWire(value)) return stripSecrets(value.value);
    if (Array.isArray(value)) return value.map(stripSecrets);
    if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, stripSecrets(item)]));
    return value;
}

/** helm's `MergeMaps` (pkg/cli/values): `b` wins; maps on both sides merge. */
function mergeMaps(a: Record<string, Wire>, b: Record<string, Wire>): Record<string, Wire> {
    const out: Record<string, Wire> = { ...a };
    for (const [key, value] of Object.entries(b)) {
        const existing = out[key];
        out[key] = isObject(value) && isObject(existing) ? mergeMaps(existing, value) : value;
    }
    return out;
}

function assetText(asset: Wire): string {
    const fields = asset as Record<string, unknown>;
    if (!isObject(asset) || fields[SIG] !== ASSET_SIG || typeof fields.text !== "string") {
        throw new Error("valueYamlFiles: the model reads string assets only (the fleet writes no file or remote asset)");
    }
    return fields.text;
}

/** `annotateSecrets(outs, ins)`, returning the annotated copy of `outs`. */
function annotateSecrets(outs: Record<string, Wire>, ins: Record<string, Wire>): Record<string, Wire> {
    const annotated: Record<string, Wire> = { ...outs };
    for (const [key, inValue] of Object.entries(ins)) {
        if (!(key in annotated)) continue;
        const outValue = annotated[key];
        const inPlain = isSecretWire(inValue) ? undefined : inValue;
        if (isObject(outValue) && isObject(inPlain)) {
            annotated[key] = annotateSecrets(outValue, inPlain);
        } else if (!isSecretWire(outValue) && containsSecrets(inValue)) {
            annotated[key] = secretWire(outValue);
        }
    }
    return annotated;
}

/** The inputs the provider returns from Check for a `Release` with these wire inputs: what the state keeps. */
export function checkRelease(wireInputs: Record<string, Wire>): Record<string, Wire> {
    const stripped = stripSecrets(wireInputs) as Record<string, Wire>;
    let values: Record<string, Wire> = {};
    for (const file of (stripped.valueYamlFiles as Wire[] | undefined) ?? []) {
        values = mergeMaps(values, (parseYaml(assetText(file)) ?? {}) as Record<string, Wire>);
    }
    const { valueYamlFiles: _files, ...release } = stripped;
    release.values = mergeMaps(values, (release.values ?? {}) as Record<string, Wire>);
    return annotateSecrets(release, wireInputs as Record<string, Wire>);
}

/**
 * Paths in `value` where a plain (unmarked) string contains one of `needles`: secrets the state would
 * show in clear text.
 */
export function plaintextSecrets(value: Wire, needles: readonly string[], at = ""): string[] {
    if (typeof value === "string") return needles.some(needle => needle !== "" && value.includes(needle)) ? [at || "(value)"] : [];
    if (isSecretWire(value)) return [];
    if (Array.isArray(value)) return value.flatMap((item, i) => plaintextSecrets(item, needles, `${at}[${i}]`));
    if (isObject(value)) {
        return Object.entries(value).flatMap(([key, item]) => plaintextSecrets(item, needles, at ? `${at}.${key}` : key));
    }
    return [];
}

/** Every plain string under a secret marker: the values a test or the plan must never find in clear text. */
export function secretStrings(value: Wire, inSecret = false): string[] {
    if (isSecretWire(value)) return secretStrings(value.value, true);
    if (typeof value === "string") return inSecret ? [value] : [];
    if (Array.isArray(value)) return value.flatMap(item => secretStrings(item, inSecret));
    if (isObject(value)) return Object.values(value).flatMap(item => secretStrings(item, inSecret));
    return [];
}
