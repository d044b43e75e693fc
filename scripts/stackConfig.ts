/**
 * Reads a stack file (Pulumi.<stack>.yaml) the way the Pulumi CLI hands it to the program, without the CLI:
 * project-namespaced keys become JSON strings, and every `secure:` value becomes a placeholder that is
 * still reported as secret. Used by the offline plan and by tests.
 */
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { CONFIG_NAMESPACE } from "../components/config";
import { isPlainObject } from "../components/util";

export interface StackConfig {
    /** `namespace:key` -> value, as `pulumi.runtime.setAllConfig` takes it. */
    readonly config: Record<string, string>;
    /** Full keys whose value holds a secret. */
    readonly secretKeys: string[];
    /** Dotted paths of every secure leaf, e.g. `hubSecrets.staging.auth.clientSecret`. */
    readonly securePaths: string[];
}

/** A stand-in for a secret the offline plan cannot decrypt; shaped so format checks still pass. */
export function placeholderFor(securePath: string): string {
    if (/database\.url$/.test(securePath)) return "postgresql://placeholder:placeholder@placeholder:5432/jupyterhub";
    if (/kubeconfig$/.test(securePath)) {
        return [
            "apiVersion: v1", "kind: Config", "current-context: placeholder",
            "clusters: [{name: placeholder, cluster: {server: 'https://127.0.0.1:6443'}}]",
            "contexts: [{name: placeholder, context: {cluster: placeholder, user: placeholder}}]",
            "users: [{name: placeholder, user: {token: placeholder}}]",
        ].join("\n");
    }
    return `[secret ${securePath}]`;
}

function replaceSecure(value: unknown, at: string[], securePaths: string[]): unknown {
    if (isPlainObject(value)) {
        const keys = Object.keys(value);
        if (keys.length === 1 && keys[0] === "secure") {
            const dotted = at.join(".");
            securePaths.push(dotted);
            return placeholderFor(dotted);
        }
        return Object.fromEntries(keys.map(k => [k, replaceSecure(value[k], [...at, k], securePaths)]));
    }
    if (Array.isArray(value)) {
        return value.map((item, i) => replaceSecure(item, [...at, String(i)], securePaths));
    }
    return value;
}

/** Parses the text of a stack file. */
export function parseStackFile(text: string): StackConfig {
    const document = parseYaml(text) as { config?: Record<string, unknown> } | null;
    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    const securePaths: string[] = [];
    for (const [fullKey, rawValue] of Object.entries(document?.config ?? {})) {
        const key = fullKey.includes(":") ? fullKey : `${CONFIG_NAMESPACE}:${fullKey}`;
        const before = securePaths.length;
        const shortKey = key.slice(key.indexOf(":") + 1);
        const value = replaceSecure(rawValue, [shortKey], securePaths);
        if (securePaths.length > before) secretKeys.push(key);
        config[key] = typeof value === "string" ? value : JSON.stringify(value);
    }
    return { config, secretKeys, securePaths };
}

/** Reads `Pulumi.<stack>.yaml` from `dir`. */
export function readStackFile(stack: string, dir = process.cwd()): StackConfig {
    const file = path.join(dir, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(file)) {
        throw new Error(`${file} does not exist (stacks here: ${listStacks(dir).join(", ") || "none"})`);
    }
    return parseStackFile(fs.readFileSync(file, "utf8"));
}

export function listStacks(dir = process.cwd()): string[] {
    return fs.readdirSync(dir).map(f => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1]).filter((s): s is string => !!s).sort();
}
