/**
 * Reads a stack file (Pulumi.<stack>.yaml) the way the Pulumi CLI hands it to the program, without the CLI:
 * project-namespaced keys become JSON strings, and every `secure:` value becomes a placeholder that is
 * still reported as secret. Used by the offline plan and by tests.
 *
 * What only the file shows is checked here, because the CLI hands the program decrypted values: a
 * `secure:` value that is not ciphertext, and a plain value under hubSecrets or clusterSecrets (once one
 * value there is encrypted, the CLI marks the whole key secret and the program cannot tell the rest).
 */
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { CONFIG_NAMESPACE, FleetConfigError, formatPath } from "../components/config";
import { isPlainObject } from "../components/util";

export interface StackConfig {
    /** `namespace:key` -> value, as `pulumi.runtime.setAllConfig` takes it. */
    readonly config: Record<string, string>;
    /** Full keys whose value holds a secret. */
    readonly secretKeys: string[];
    /** Dotted paths of every secure leaf, e.g. `hubSecrets.staging.auth.clientSecret`. */
    readonly securePaths: string[];
    /** What is wrong in the file itself, as `<key path>: <what is wrong> (<how to fix>)`. */
    readonly problems: string[];
}

/** A stand-in for a secret the offline plan cannot decrypt; shaped so format checks still pass. */
export function placeholderFor(securePath: string): string {
    if (/database\.url$/.test(securePath)) return "postgresql://placeholder:placeholder@placeholder:5432/jupyterhub";
    if (/kubeconfig$/.test(securePath)) return kubeconfigPlaceholder();
    return `[secret ${securePath}]`;
}

/**
 * A kubeconfig stand-in that also holds `context`, the context its cluster names (the loader checks that
 * the kubeconfig has it). The placeholder without one is the start of any other, so the plan, which looks
 * for placeholderFor()'s text in its output, finds each.
 */
function kubeconfigPlaceholder(context?: string): string {
    const contextEntry = (name: string) => `- {name: ${JSON.stringify(name)}, context: {cluster: placeholder, user: placeholder}}`;
    return [
        "apiVersion: v1", "kind: Config", "current-context: placeholder",
        "clusters: [{name: placeholder, cluster: {server: 'https://127.0.0.1:6443'}}]",
        "users: [{name: placeholder, user: {token: placeholder}}]",
        "contexts:", contextEntry("placeholder"),
        ...(context ? [contextEntry(context)] : []),
    ].join("\n");
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Whether `value` has the shape of a secrets provider's ciphertext. The passphrase and cloud KMS providers
 * encrypt with Pulumi's symmetric crypter: `v1:<12-byte nonce>:<AES-256-GCM ciphertext and 16-byte tag>`
 * (pulumi/pulumi sdk/go/common/resource/config/crypt.go, symmetricCrypter.EncryptValue); Pulumi Cloud's
 * service crypter returns the service's ciphertext in base64.
 */
function isCiphertext(value: unknown): boolean {
    if (typeof value !== "string" || value === "") return false;
    const [version, nonce, sealed, ...rest] = value.split(":");
    const symmetric = version === "v1" && rest.length === 0 && nonce !== undefined && sealed !== undefined &&
        BASE64.test(nonce) && Buffer.from(nonce, "base64").length === 12 &&
        BASE64.test(sealed) && Buffer.from(sealed, "base64").length >= 16;
    return symmetric || BASE64.test(value);
}

interface Reader {
    readonly securePaths: string[];
    readonly problems: string[];
    /** clusters.<key>.context, for kubeconfig placeholders. */
    readonly contexts: Record<string, string>;
}

/** The config keys whose every value must be `secure:`. */
const SECRET_KEYS = ["hubSecrets", "hubSecretDefaults", "clusterSecrets"];

function replaceSecure(value: unknown, at: string[], reader: Reader): unknown {
    const dotted = at.join(".");
    if (isPlainObject(value)) {
        const keys = Object.keys(value);
        if (keys.length === 1 && keys[0] === "secure") {
            reader.securePaths.push(dotted);
            if (!isCiphertext(value.secure)) {
                reader.problems.push(`${formatPath(at)}: the secure: value is not ciphertext ` +
                    `(set it with pulumi config set --secret --path '${dotted}' '<value>', which encrypts it)`);
            }
            const context = at[0] === "clusterSecrets" ? reader.contexts[at[1]] : undefined;
            return context && /kubeconfig$/.test(dotted) ? kubeconfigPlaceholder(context) : placeholderFor(dotted);
        }
        return Object.fromEntries(keys.map(k => [k, replaceSecure(value[k], [...at, k], reader)]));
    }
    if (Array.isArray(value)) {
        return value.map((item, i) => replaceSecure(item, [...at, String(i)], reader));
    }
    if (SECRET_KEYS.includes(at[0]) && value !== null) {
        reader.problems.push(`${formatPath(at)}: is plain text in the stack file, and everything under ${at[0]} must be encrypted ` +
            `(delete the line and run pulumi config set --secret --path '${dotted}' '<value>')`);
    }
    return value;
}

/**
 * Parses the text of a stack file. YAML merge keys (`<<: *defaults`) are resolved, as the Pulumi CLI's YAML
 * reader does (pulumi/pulumi sdk/go/common/encoding/marshal.go reads stack files with gopkg.in/yaml.v2).
 */
export function parseStackFile(text: string): StackConfig {
    const document = parseYaml(text, { merge: true }) as Record<string, unknown> | null;
    const settings = isPlainObject(document?.config) ? document.config : {};
    const clusters = settings[`${CONFIG_NAMESPACE}:clusters`] ?? settings.clusters;
    const contexts = Object.fromEntries(Object.entries(isPlainObject(clusters) ? clusters : {})
        .filter(([, cluster]) => isPlainObject(cluster) && typeof cluster.context === "string")
        .map(([key, cluster]) => [key, (cluster as { context: string }).context]));
    const reader: Reader = { securePaths: [], problems: [], contexts };
    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    for (const [fullKey, rawValue] of Object.entries(settings)) {
        const key = fullKey.includes(":") ? fullKey : `${CONFIG_NAMESPACE}:${fullKey}`;
        const before = reader.securePaths.length;
        const shortKey = key.startsWith(`${CONFIG_NAMESPACE}:`) ? key.slice(CONFIG_NAMESPACE.length + 1) : key;
        const value = replaceSecure(rawValue, [shortKey], reader);
        if (reader.securePaths.length > before) secretKeys.push(key);
        config[key] = typeof value === "string" ? value : JSON.stringify(value);
    }
    return { config, secretKeys, securePaths: reader.securePaths, problems: reader.problems };
}

/** Reads `Pulumi.<stack>.yaml` from `dir`; throws FleetConfigError for problems in the file itself. */
export function readStackFile(stack: string, dir = process.cwd()): StackConfig {
    const file = path.join(dir, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(file)) {
        throw new Error(`${file} does not exist (stacks here: ${listStacks(dir).join(", ") || "none"})`);
    }
    const stackConfig = parseStackFile(fs.readFileSync(file, "utf8"));
    if (stackConfig.problems.length > 0) {
        throw new FleetConfigError(`Pulumi.${stack}.yaml`, stackConfig.problems);
    }
    return stackConfig;
}

export function listStacks(dir = process.cwd()): string[] {
    return fs.readdirSync(dir).map(f => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1]).filter((s): s is string => !!s).sort();
}
