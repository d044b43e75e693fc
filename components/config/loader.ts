/**
 * The loader: `parseFleetConfig` is pure: it takes the five raw config objects and returns a typed,
 * defaulted fleet or throws one `FleetConfigError` listing every problem. `loadFleetConfig` reads them from
 * the current stack. Nothing in here registers a resource, so a bad stack file fails before anything
 * reaches a provider.
 */
import { closestMatch, deepMerge, isPlainObject } from "../util";
import { checkChartValues } from "./chartValues";
import { checkBucketNamesUnique, checkFleetNames, checkHub, checkHubSecrets, checkRenames, checkResources } from "./checks";
import { checkCluster, checkClusterKey, clusterSchemas, ClusterSpec } from "./clusters";
import { describe, FleetConfigError, Problems, recordOf, secretCommand } from "./errors";
import { HOME_STORAGE_TYPES, homeStorageSchemas, HomeStorageSpec } from "./homeStorage";
import { AuthSpec, authSchemas, checkHubKey, hubSchema, hubSecretsSchema, HubSecretsSpec, HubSpec, withAuthDefaults } from "./hub";
import { checkKubeconfig, clusterSecretsSchema, ClusterSecretsSpec } from "./kubernetes";
import { CONFIG_NAMESPACE, FLEET_CONFIG_KEYS, PROVIDERS, ProviderName } from "./names";
import { checkOperations, monitoringSettings } from "./operations";
import { checkOvhVlans } from "./ovh";
import { check, checkTagged, ProviderContext, unknownKeyFix } from "./parse";
import { checkTypedFieldsKept, checkValuesForSecrets, ValuesSources } from "./values";
import { checkAuth, checkAuthSecrets, checkHubSecretDefaults } from "./auth";

export interface RawFleetConfig {
    clusters?: unknown;
    hubDefaults?: unknown;
    hubs?: unknown;
    hubSecrets?: unknown;
    hubSecretDefaults?: unknown;
    clusterSecrets?: unknown;
    /** Any other key of the project's namespace: a typo (`hub:` for `hubs:`), reported as a problem. */
    [unknownKey: string]: unknown;
}

export interface ParseOptions {
    /** Stack name, for messages (`Pulumi.<stack>.yaml`). */
    readonly stack: string;
    /** Config keys (without namespace) that Pulumi holds as secrets; `hubs` among them means a misplaced secret. */
    readonly secretKeys?: readonly string[];
}

export interface FleetConfig {
    readonly stack: string;
    readonly clusters: Readonly<Record<string, ClusterSpec>>;
    readonly hubs: Readonly<Record<string, HubSpec>>;
    readonly hubSecrets: Readonly<Record<string, HubSecretsSpec>>;
    readonly clusterSecrets: Readonly<Record<string, ClusterSecretsSpec>>;
}

/** Validates and defaults a whole fleet; throws FleetConfigError listing every problem. */
export function parseFleetConfig(raw: RawFleetConfig, options: ParseOptions): FleetConfig {
    const problems = new Problems();
    const stackFile = `Pulumi.${options.stack}.yaml`;
    for (const key of Object.keys(raw).filter(key => !(FLEET_CONFIG_KEYS as readonly string[]).includes(key))) {
        // A misspelled top-level key would otherwise leave, say, every hub out of the deployment unnoticed.
        problems.add([key], `unknown config key ${CONFIG_NAMESPACE}:${key}`, unknownKeyFix(key, FLEET_CONFIG_KEYS, undefined));
    }

    const clusters: Record<string, ClusterSpec> = {};
    const rawClusters = recordOf(raw.clusters, ["clusters"], problems, "clusters");
    if (raw.clusters !== undefined && Object.keys(rawClusters).length === 0 && isPlainObject(raw.clusters)) {
        problems.add(["clusters"], "no clusters defined", "add at least one cluster; see README.md");
    }
    /** What hub checks need of a cluster, even one whose own entry has problems (so hubs are still checked). */
    const clusterFacts: Record<string, ClusterSpec> = {};
    for (const [key, value] of Object.entries(rawClusters)) {
        const path = ["clusters", key];
        checkClusterKey(key, path, problems);
        const cluster = checkTagged<Omit<ClusterSpec, "homeStorage"> & { homeStorage?: unknown }>(
            clusterSchemas, PROVIDERS, "provider", value, path, problems);
        const provider = isPlainObject(value) && PROVIDERS.includes(value.provider as ProviderName)
            ? value.provider as ProviderName : undefined;
        if (!provider || !isPlainObject(value)) continue;
        const homeTypes = HOME_STORAGE_TYPES[provider];
        const homeStorage = checkTagged<HomeStorageSpec>(homeStorageSchemas, homeTypes, "type",
            value.homeStorage ?? { type: homeTypes[0] }, [...path, "homeStorage"], problems,
            { provider, description: `${provider} clusters` });
        clusterFacts[key] = cluster && homeStorage ? { ...cluster, homeStorage } as ClusterSpec : {
            provider, local: value.local === true, buckets: isPlainObject(value.buckets) ? value.buckets : {},
        } as unknown as ClusterSpec;
        if (!cluster || !homeStorage) continue;
        clusters[key] = clusterFacts[key];
        checkCluster(key, clusters[key], path, problems);
    }
    checkBucketNamesUnique(clusters, problems);
    checkOvhVlans(clusters, problems);
    checkRenames("clusters", rawClusters, problems);

    const clusterSecrets: Record<string, ClusterSecretsSpec> = {};
    for (const [key, value] of Object.entries(recordOf(raw.clusterSecrets, ["clusterSecrets"], problems, "clusters"))) {
        const path = ["clusterSecrets", key];
        if (!(key in rawClusters)) {
            problems.add(path, `no cluster "${key}" is defined`, `remove it, or add clusters.${key}`);
        }
        const secrets = check(clusterSecretsSchema, value, path, problems);
        if (secrets) clusterSecrets[key] = secrets;
    }
    for (const [key, cluster] of Object.entries(clusters)) {
        checkOperations(key, cluster, clusterSecrets[key]?.grafanaClientSecret, ["clusters", key], problems);
        if (cluster.provider === "kubernetes") {
            checkKubeconfig(key, cluster, clusterSecrets[key]?.kubeconfig, problems);
        } else if (clusterSecrets[key]?.kubeconfig) {
            problems.add(["clusterSecrets", key, "kubeconfig"], `${cluster.provider} clusters build their own kubeconfig`,
                `remove it: pulumi config rm --path 'clusterSecrets.${key}.kubeconfig'`);
        }
    }

    let hubDefaults: Record<string, unknown> = recordOf(raw.hubDefaults, ["hubDefaults"], problems, "hub fields");
    if ("renamedFrom" in hubDefaults) {
        problems.add(["hubDefaults", "renamedFrom"], "would make every hub claim the same previous key",
            "set it on the renamed hub only: hubs.<key>.renamedFrom");
        hubDefaults = Object.fromEntries(Object.entries(hubDefaults).filter(([field]) => field !== "renamedFrom"));
    }
    if (!check(hubSchema.partial(), hubDefaults, ["hubDefaults"], problems)) {
        hubDefaults = {};
    }

    const secretExamples = {
        hubSecrets: "hubSecrets.<hub>.auth.clientSecret",
        hubSecretDefaults: "hubSecretDefaults.values.imagePullSecret.password",
        clusterSecrets: "clusterSecrets.<cluster>.kubeconfig",
    };
    for (const key of ["hubSecrets", "hubSecretDefaults", "clusterSecrets"] as const) {
        if (raw[key] !== undefined && options.secretKeys && !options.secretKeys.includes(key)) {
            problems.add([key], "is stored in plain text in the stack file",
                `delete it from ${stackFile} and set each value with --secret, e.g. ` + secretCommand(secretExamples[key], "<value>"));
        }
    }
    if (options.secretKeys?.includes("hubs") || options.secretKeys?.includes("hubDefaults")) {
        const key = options.secretKeys.includes("hubs") ? "hubs" : "hubDefaults";
        problems.add([key], "holds a secure value, which makes the whole key secret and hides every hub from previews",
            `find the "secure:" entry under ${key} in ${stackFile}, remove it, and set it under hubSecrets instead: ` +
            secretCommand("hubSecrets.<hub>.auth.clientSecret", "<value>"));
    }

    const hubs: Record<string, HubSpec> = {};
    const rawHubs = recordOf(raw.hubs, ["hubs"], problems, "hubs");
    checkValuesForSecrets(hubDefaults.values, rawHubs, problems);
    checkRenames("hubs", rawHubs, problems);
    for (const [key, value] of Object.entries(rawHubs)) {
        const path = ["hubs", key];
        checkHubKey(key, path, problems);
        if (!isPlainObject(value)) {
            problems.add(path, `expected a map, got ${describe(value)}`, "give the hub's fields as a map");
            continue;
        }
        const merged = deepMerge(hubDefaults, value);
        if (isPlainObject(value.auth) && isPlainObject(hubDefaults.auth) && value.auth.type !== undefined && value.auth.type !== hubDefaults.auth.type) {
            // Another authenticator's fields mean nothing to this one: hubDefaults.auth applies to hubs of its type only.
            merged.auth = value.auth;
        }
        const clusterKey = merged.cluster;
        const cluster = typeof clusterKey === "string" ? clusterFacts[clusterKey] : undefined;
        const context: ProviderContext = {
            provider: cluster?.provider, description: cluster ? `cluster ${clusterKey} (${cluster.provider})` : "this cluster",
            secretHint: field => secretCommand(`hubSecrets.${key}.auth.${field}`, `<${field}>`),
        };
        const hub = check(hubSchema, merged, path, problems, context);
        const authTypes = Object.keys(authSchemas);
        const auth = checkTagged<AuthSpec>(authSchemas, authTypes, "type", merged.auth, [...path, "auth"], problems, context);
        if (!hub || !auth) continue;
        hubs[key] = withAuthDefaults(hub, auth);
        if (typeof clusterKey === "string" && !(clusterKey in rawClusters)) {
            const guess = closestMatch(clusterKey, Object.keys(rawClusters));
            problems.add([...path, "cluster"], `no cluster "${clusterKey}" is defined`,
                guess ? `did you mean ${guess}?` : `use one of: ${Object.keys(rawClusters).join(", ") || "(none: add clusters first)"}`);
        }
        if (cluster) {
            checkHub(key, hubs[key], clusterKey as string, cluster, path, problems);
            checkAuth(key, hubs[key], clusterKey as string, cluster, path, problems);
        }
        const sources: ValuesSources = { hubKey: key, own: value.values, defaults: hubDefaults.values };
        checkResources(hubs[key], sources, path, problems);
        const monitored = cluster && monitoringSettings(cluster.provider, cluster.monitoring) ? `clusters.${clusterKey}.monitoring` : undefined;
        checkTypedFieldsKept(hubs[key], merged, sources, problems, monitored);
        const chartVersionPath = "chartVersion" in value || !("chartVersion" in hubDefaults) ? [...path, "chartVersion"] : ["hubDefaults", "chartVersion"];
        checkChartValues(hubs[key].chartVersion, hubs[key].values, sources, chartVersionPath, problems);
    }
    checkFleetNames(clusters, hubs, problems);
    if (Object.keys(rawClusters).length === 0 && Object.keys(rawHubs).length === 0 && !isPlainObject(raw.clusters)) {
        problems.add([CONFIG_NAMESPACE], "no clusters and no hubs: this config would deploy nothing and delete whatever the stack has",
            `add ${CONFIG_NAMESPACE}:clusters and ${CONFIG_NAMESPACE}:hubs, see README.md; to tear a stack down, run pulumi destroy`);
    }

    const ownHubSecrets: Record<string, HubSecretsSpec> = {};
    for (const [key, value] of Object.entries(recordOf(raw.hubSecrets, ["hubSecrets"], problems, "hubs"))) {
        const path = ["hubSecrets", key];
        if (!(key in rawHubs)) {
            problems.add(path, `no hub "${key}" is defined`, `remove it (pulumi config rm --path 'hubSecrets.${key}'), or add hubs.${key}`);
        }
        const secrets = check(hubSecretsSchema, value, path, problems);
        if (secrets) ownHubSecrets[key] = secrets;
    }
    const hubSecretDefaults = checkHubSecretDefaults(raw.hubSecretDefaults, problems);
    // Every hub gets the shared secrets, under its own: a secret all hubs use is set once.
    const hubSecrets: Record<string, HubSecretsSpec> = {};
    for (const key of new Set([...Object.keys(hubs), ...Object.keys(ownHubSecrets)])) {
        const secrets = deepMerge(hubSecretDefaults, ownHubSecrets[key] ?? {});
        if (Object.keys(secrets).length > 0) hubSecrets[key] = secrets;
    }
    for (const [key, hub] of Object.entries(hubs)) {
        checkHubSecrets(key, hub, hubSecrets[key], problems);
        checkAuthSecrets(key, hub, hubSecrets[key], ownHubSecrets[key], problems);
    }

    if (problems.list.length > 0) {
        throw new FleetConfigError(stackFile, problems.list);
    }
    return { stack: options.stack, clusters, hubs, hubSecrets, clusterSecrets };
}

/** Reads the fleet from the current stack's config and validates it (see parseFleetConfig). */
export function loadFleetConfig(): FleetConfig {
    // Imported lazily so the pure parser can be used (and tested) without the Pulumi runtime.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
    // The SDK marks this @internal, but it is the only record of which keys the CLI decrypted.
    const isConfigSecret = (pulumi.runtime as unknown as { isConfigSecret(key: string): boolean }).isConfigSecret;
    const prefix = `${CONFIG_NAMESPACE}:`;
    const keys = Object.keys(pulumi.runtime.allConfig()).filter(fullKey => fullKey.startsWith(prefix)).map(fullKey => fullKey.slice(prefix.length));
    const raw: Record<string, unknown> = {};
    const secretKeys: string[] = [];
    const problems: string[] = [];
    for (const key of keys) {
        const fullKey = `${prefix}${key}`;
        // Read the raw runtime value: Config.getObject would warn for secret keys, and the loader must see
        // the secrets' plaintext to check them; they are re-wrapped with pulumi.secret before any use.
        const text = pulumi.runtime.getConfig(fullKey);
        if (isConfigSecret(fullKey)) secretKeys.push(key);
        if (text === undefined) continue;
        if (!(FLEET_CONFIG_KEYS as readonly string[]).includes(key)) {
            raw[key] = text;  // reported by the parser as unknown, whatever its shape
            continue;
        }
        try {
            raw[key] = JSON.parse(text);
        } catch {
            problems.push(`${key}: is a plain string, not a map (write it as a YAML map under ${fullKey})`);
        }
    }
    const stack = pulumi.getStack();
    if (problems.length > 0) {
        throw new FleetConfigError(`Pulumi.${stack}.yaml`, problems);
    }
    return parseFleetConfig(raw, { stack, secretKeys });
}
