/**
 * The fleet's stack config: schema, loader and error messages. This is the operator's interface
 * (../DESIGN.md, "Stack config"): the key names are a contract with their stack files and runbooks.
 *
 * `parseFleetConfig` is pure: it takes the five raw config objects and returns a typed, defaulted fleet or
 * throws one `FleetConfigError` listing every problem as `<key path>: <what is wrong> (<how to fix>)`.
 * Nothing in here registers a resource, so a bad stack file fails before anything reaches a provider.
 */
import { z } from "zod";
import { parse as parseYaml } from "yaml";
import { CLUSTER_AUTOSCALER_IMAGE_TAGS } from "./aws/autoscalerRelease";
import { closestMatch, deepMerge, isPlainObject } from "./util";

export const CONFIG_NAMESPACE = "jupyterhub-fleet";
export const DEFAULT_CHART_VERSION = "4.4.2";
export const PROVIDERS = ["aws", "gcp", "ovh", "kubernetes"] as const;
export type ProviderName = (typeof PROVIDERS)[number];

// ---------------------------------------------------------------------------------------------------------
// Name rules. Each one exists because a cloud refuses longer or odder names, and the refusal would otherwise
// come halfway through an `up`.

const CLUSTER_KEY = /^[a-z][a-z0-9-]*[a-z0-9]$/;
export const MAX_CLUSTER_KEY_LENGTH = 20;
/** Hub key = namespace = helm release name: an RFC 1123 DNS label. */
const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
/** S3 / GCS / OVH bucket names. */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** S3, GCS and OVH refuse bucket names shaped like an IP address. */
const IPV4_ADDRESS = /^\d{1,3}(\.\d{1,3}){3}$/;
/** GitHub logins, lowercased (access groups are keyed by hub username, which GitHub auth lowercases). */
const GITHUB_LOGIN = /^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){0,38}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const EXACT_SEMVER = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;
const GCP_SERVICE_ACCOUNT_ID = /^[a-z](?:[-a-z0-9]{4,28}[a-z0-9])$/;
export const AWS_ROLE_NAME_MAX = 64;

/** Filestore's smallest instance per tier, in GB. */
export const FILESTORE_MIN_CAPACITY_GB: Record<string, number> = {
    BASIC_HDD: 1024, BASIC_SSD: 2560, ZONAL: 1024, REGIONAL: 1024, ENTERPRISE: 1024,
};

// ---------------------------------------------------------------------------------------------------------
// Schemas

const kubernetesVersion = z.string().regex(/^1\.\d{2}$/, {
    error: "must be a minor version such as \"1.33\" (quote it in YAML so it stays a string)",
});
const userList = z.array(z.string().min(1));

const nodePoolSchema = z.strictObject({
    /** Instance type / flavor, e.g. r5.xlarge, n2-highmem-4, b3-16. */
    machineType: z.string().min(1),
    minNodes: z.number().int().min(0),
    maxNodes: z.number().int().min(1),
    /** `core` runs the hub and proxy, `user` runs user servers. Defaults from the pool key (`core` or not). */
    purpose: z.enum(["core", "user"]).optional(),
    /** AWS user pools only: spot capacity. */
    spot: z.boolean().optional(),
    diskSizeGb: z.number().int().min(20).max(16384).optional(),
});
export type NodePoolSpec = z.infer<typeof nodePoolSchema>;

const bucketSchema = z.strictObject({
    /** Full bucket name; defaults to `<cluster>-<key>` on AWS/GCP and `<key>` on OVH / existing clusters. */
    name: z.string().optional(),
    /** Objects expire this many days after creation (scratch buckets). */
    deleteAfterDays: z.number().int().min(1).optional(),
});
export type BucketSpec = z.infer<typeof bucketSchema>;

const homeStorageSchemas = {
    efs: z.strictObject({ type: z.literal("efs") }),
    filestore: z.strictObject({
        type: z.literal("filestore"),
        tier: z.enum(["BASIC_HDD", "BASIC_SSD", "ZONAL", "REGIONAL", "ENTERPRISE"]).default("BASIC_HDD"),
        capacityGb: z.number().int().min(1).default(1024),
    }),
    dynamic: z.strictObject({
        type: z.literal("dynamic"),
        /** Size of each user's volume. */
        size: z.string().regex(/^\d+(Mi|Gi|Ti)$/, { error: "must be a Kubernetes quantity such as 10Gi" }).default("10Gi"),
        /** Storage class for user volumes; the cluster default (or the platform's retaining class) otherwise. */
        storageClass: z.string().min(1).optional(),
    }),
    nfs: z.strictObject({
        type: z.literal("nfs"),
        server: z.string().min(1),
        path: z.string().regex(/^\//, { error: "must be an absolute export path such as /export/homes" }),
    }),
};
export type HomeStorageSpec =
    | z.infer<(typeof homeStorageSchemas)["efs"]>
    | z.infer<(typeof homeStorageSchemas)["filestore"]>
    | z.infer<(typeof homeStorageSchemas)["dynamic"]>
    | z.infer<(typeof homeStorageSchemas)["nfs"]>;

/** Which home storage each provider can serve, the first being the default. */
export const HOME_STORAGE_TYPES: Record<ProviderName, readonly (keyof typeof homeStorageSchemas)[]> = {
    aws: ["efs"],
    gcp: ["dynamic", "filestore"],
    ovh: ["dynamic"],
    kubernetes: ["dynamic", "nfs"],
};

const accessGroupSchema = z.strictObject({
    /** Hub usernames (lowercase GitHub logins) in this group. Not allowed on `default`. */
    members: userList.optional(),
    /** Bucket keys this group may read. */
    read: z.array(z.string()).optional(),
    /** Bucket keys this group may read and write. */
    write: z.array(z.string()).optional(),
    /** Full control of every bucket of the cluster. */
    admin: z.boolean().optional(),
});
export type AccessGroupSpec = z.infer<typeof accessGroupSchema>;

const extraMountSchema = z.strictObject({
    name: z.string().regex(DNS_LABEL, { error: "must be a lowercase DNS label such as scratch" }),
    server: z.string().min(1),
    path: z.string().regex(/^\//, { error: "must be an absolute export path" }),
    mountPath: z.string().regex(/^\//, { error: "must be an absolute path in the user's container" }),
    readOnly: z.boolean().default(false),
});
export type ExtraMountSpec = z.infer<typeof extraMountSchema>;

const commonClusterFields = {
    nodePools: z.record(z.string(), nodePoolSchema),
    /** Parsed separately per provider; see HOME_STORAGE_TYPES. */
    homeStorage: z.unknown().optional(),
    buckets: z.record(z.string(), bucketSchema).default({}),
    /** Pulumi `protect` (and the cloud's own deletion protection where it has one) on the cluster and its network. */
    deletionProtection: z.boolean().default(true),
};

const clusterSchemas = {
    aws: z.strictObject({
        provider: z.literal("aws"),
        region: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, { error: "must be an AWS region such as us-west-2" }),
        kubernetesVersion,
        network: z.strictObject({
            /** New VPC: its CIDR block. */
            // Public subnets get 1/64 of the VPC and AWS's smallest subnet is a /28, hence /22 at most.
            vpcCidr: z.string().regex(/^\d+\.\d+\.\d+\.\d+\/(1[6-9]|2[0-2])$/, {
                error: "must be an IPv4 CIDR block between /16 and /22, such as 10.10.0.0/16",
            }).optional(),
            /** New VPC: 2 or 3 availability zones; defaults to the region's a, b and c zones. */
            availabilityZones: z.array(z.string()).min(2).max(3).optional(),
            /** Existing VPC. */
            vpcId: z.string().regex(/^vpc-[0-9a-f]+$/, { error: "must be a VPC id such as vpc-0abc123" }).optional(),
            /** Existing VPC: private subnets for nodes and EFS mount targets, one per zone, in 2–3 zones (EFS allows one mount target per zone). */
            subnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]+$/, { error: "must be a subnet id such as subnet-0abc123" })).min(2).max(3).optional(),
        }).default({}),
        ...commonClusterFields,
    }),
    gcp: z.strictObject({
        provider: z.literal("gcp"),
        project: z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, { error: "must be a GCP project id" }),
        region: z.string().regex(/^[a-z]+-[a-z]+\d$/, { error: "must be a GCP region such as us-central1" }),
        zone: z.string().regex(/^[a-z]+-[a-z]+\d-[a-z]$/, { error: "must be a GCP zone such as us-central1-b" }),
        kubernetesVersion: kubernetesVersion.optional(),
        releaseChannel: z.enum(["RAPID", "REGULAR", "STABLE"]).optional(),
        networkPolicy: z.boolean().default(true),
        ...commonClusterFields,
    }),
    ovh: z.strictObject({
        provider: z.literal("ovh"),
        /** The OVH Public Cloud project id. */
        serviceName: z.string().regex(/^[0-9a-f]{32}$/, { error: "must be the 32-character OVH project id" }),
        region: z.string().regex(/^[A-Z]+\d*$/, { error: "must be an OVH region such as GRA11" }),
        kubernetesVersion: kubernetesVersion.optional(),
        updatePolicy: z.enum(["ALWAYS_UPDATE", "MINIMAL_DOWNTIME", "NEVER_UPDATE"]).default("MINIMAL_DOWNTIME"),
        s3: z.strictObject({
            region: z.string().regex(/^[a-z]+$/, { error: "must be an OVH S3 region such as gra" }),
            /** Defaults to https://s3.<region>.io.cloud.ovh.net. */
            endpoint: z.url().optional(),
        }),
        network: z.strictObject({
            vlanId: z.number().int().min(0).max(4000).default(0),
            cidr: z.string().regex(/^\d+\.\d+\.\d+\.\d+\/(1[6-9]|2[0-4])$/, {
                error: "must be an IPv4 CIDR block such as 10.0.0.0/16",
            }).default("10.0.0.0/16"),
        }).default({ vlanId: 0, cidr: "10.0.0.0/16" }),
        accessGroups: z.record(z.string(), accessGroupSchema).optional(),
        ...commonClusterFields,
    }),
    kubernetes: z.strictObject({
        provider: z.literal("kubernetes"),
        /** kubeconfig context; the current context when neither this nor clusterSecrets.<cluster>.kubeconfig is set. */
        context: z.string().min(1).optional(),
        /** A laptop cluster (kind, minikube, k3d): the only place `dummy` auth is allowed. */
        local: z.boolean().default(false),
        /** OpenShift: bind a SecurityContextConstraints object to each hub's user service account. */
        openshift: z.boolean().default(false),
        /** S3-compatible storage endpoint (Ceph, MinIO), exported to users as AWS_ENDPOINT_URL_S3. */
        s3Endpoint: z.url().optional(),
        extraMounts: z.array(extraMountSchema).default([]),
        homeStorage: z.unknown().optional(),
        buckets: z.record(z.string(), bucketSchema).default({}),
    }),
};

type WithHome<T> = Omit<T, "homeStorage"> & { homeStorage: HomeStorageSpec };
export type AwsClusterSpec = WithHome<z.infer<(typeof clusterSchemas)["aws"]>>;
export type GcpClusterSpec = WithHome<z.infer<(typeof clusterSchemas)["gcp"]>>;
export type OvhClusterSpec = WithHome<z.infer<(typeof clusterSchemas)["ovh"]>>;
export type KubernetesClusterSpec = WithHome<z.infer<(typeof clusterSchemas)["kubernetes"]>>;
export type ClusterSpec = AwsClusterSpec | GcpClusterSpec | OvhClusterSpec | KubernetesClusterSpec;

/** Fields that exist for some providers only, so a misplaced one gets "applies to …" instead of "unknown". */
const PROVIDER_ONLY_FIELDS: Record<string, ProviderName[]> = (() => {
    const owners: Record<string, ProviderName[]> = {};
    for (const provider of PROVIDERS) {
        for (const field of Object.keys(clusterSchemas[provider].shape)) {
            (owners[field] ??= []).push(provider);
        }
    }
    return Object.fromEntries(Object.entries(owners).filter(([, providers]) => providers.length < PROVIDERS.length));
})();

const authSchemas = {
    github: z.strictObject({
        type: z.literal("github"),
        /** OAuth app client id; the secret goes in hubSecrets.<hub>.auth.clientSecret. */
        clientId: z.string().min(1),
        allowedOrganizations: z.array(z.string().min(1)).optional(),
        allowedUsers: userList.optional(),
        adminUsers: userList.optional(),
        /** Anyone with a GitHub account may log in. Never implied. */
        allowAll: z.boolean().default(false),
    }),
    oidc: z.strictObject({
        type: z.literal("oidc"),
        clientId: z.string().min(1),
        authorizeUrl: z.url(),
        tokenUrl: z.url(),
        userdataUrl: z.url(),
        usernameClaim: z.string().min(1).default("preferred_username"),
        scopes: z.array(z.string().min(1)).default(["openid", "profile", "email"]),
        /** Claim in the userinfo response that lists the user's groups. */
        groupsClaim: z.string().min(1).default("groups"),
        allowedGroups: z.array(z.string().min(1)).optional(),
        adminGroups: z.array(z.string().min(1)).optional(),
        allowedUsers: userList.optional(),
        adminUsers: userList.optional(),
        allowAll: z.boolean().default(false),
        /** Text on the login button, e.g. "ESCAPE IAM". */
        loginService: z.string().min(1).optional(),
        /** RFC 8693 exchange of the user's access token at spawn (CERN VRE: a Rucio token). */
        tokenExchange: z.strictObject({
            audience: z.string().min(1),
            scopes: z.array(z.string().min(1)).default(["openid", "profile"]),
            envVar: z.string().regex(ENV_NAME, { error: "must be an environment variable name such as RUCIO_ACCESS_TOKEN" }),
        }).optional(),
    }),
    dummy: z.strictObject({
        type: z.literal("dummy"),
        allowedUsers: userList.optional(),
        adminUsers: userList.optional(),
        allowAll: z.boolean().default(true),
    }),
};
export type GithubAuthSpec = z.infer<(typeof authSchemas)["github"]>;
export type OidcAuthSpec = z.infer<(typeof authSchemas)["oidc"]>;
export type DummyAuthSpec = z.infer<(typeof authSchemas)["dummy"]>;
export type AuthSpec = GithubAuthSpec | OidcAuthSpec | DummyAuthSpec;

const cloudAccessSchema = z.strictObject({
    /** Bucket keys of the hub's cluster that users may read, write and delete in. */
    bucketAdminAccess: z.array(z.string()).default([]),
    /** Bucket keys of the hub's cluster that users may list and read. */
    bucketReadonlyAccess: z.array(z.string()).default([]),
    /** GCP only: users may bill requests to requester-pays buckets to the cluster's project. */
    requestorPays: z.boolean().default(false),
    /** AWS only: an IAM policy document attached to the hub's role as its own policy. */
    extraIamPolicy: z.looseObject({
        Version: z.literal("2012-10-17", { error: "must be \"2012-10-17\"" }),
        Statement: z.array(z.record(z.string(), z.unknown())).min(1),
    }).optional(),
});
export type CloudAccessSpec = z.infer<typeof cloudAccessSchema>;

const quantity = z.union([z.number().positive(), z.string().regex(/^\d+(\.\d+)?[KMGT]i?$/, { error: "must be bytes or a quantity such as 4G" })]);
const profileSchema = z.strictObject({
    displayName: z.string().min(1),
    description: z.string().optional(),
    /** Image for this profile, `name:tag`. */
    image: z.string().min(1).optional(),
    cpu: z.strictObject({ guarantee: z.number().positive().optional(), limit: z.number().positive().optional() }).optional(),
    memory: z.strictObject({ guarantee: quantity.optional(), limit: quantity.optional() }).optional(),
    nodeSelector: z.record(z.string(), z.string()).optional(),
    default: z.boolean().optional(),
});
export type ProfileSpec = z.infer<typeof profileSchema>;

const hubSchema = z.strictObject({
    /** Key of the cluster this hub runs on. */
    cluster: z.string().min(1),
    /** Exact z2jh chart version. */
    chartVersion: z.string().regex(EXACT_SEMVER, {
        error: "must be an exact chart version such as 4.4.2 (ranges would let a preview and an up install different charts)",
    }).default(DEFAULT_CHART_VERSION),
    /** Public host name; https through Let's Encrypt when set. */
    domain: z.string().regex(/^(?=.{1,253}$)([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,}$/, {
        error: "must be a lowercase host name such as hub.example.org",
    }).optional(),
    /** Let's Encrypt account contact, required with `domain`. */
    contactEmail: z.email().optional(),
    auth: z.unknown(),
    cloudAccess: cloudAccessSchema.optional(),
    /** Env var name -> bucket key; the value becomes <scheme>://<bucket>/$(JUPYTERHUB_USER). */
    bucketEnv: z.record(z.string(), z.string()).default({}),
    /** Extra environment variables for user servers. */
    env: z.record(z.string(), z.string()).default({}),
    /** Default user image. */
    image: z.strictObject({ name: z.string().min(1), tag: z.string().min(1) }).optional(),
    /** Server options offered at spawn, keyed by a stable slug; shown in key order. */
    profiles: z.record(z.string(), profileSchema).default({}),
    /** External hub database; its URL goes in hubSecrets.<hub>.database.url. */
    database: z.strictObject({ type: z.literal("postgres") }).optional(),
    userSecrets: z.strictObject({
        vault: z.strictObject({
            address: z.url(),
            /** Vault JWT auth role users log in with. */
            role: z.string().min(1),
            /** KV version 2 secrets engine mount. */
            mount: z.string().min(1),
            /** Secret path template within the mount; must contain {username}. */
            path: z.string().min(1),
            /** Mount path of the JWT auth method. */
            authPath: z.string().min(1).default("jwt"),
        }),
    }).optional(),
    /** Raw z2jh values, deep-merged last: the escape hatch. */
    values: z.record(z.string(), z.unknown()).default({}),
});
export type HubSpec = Omit<z.infer<typeof hubSchema>, "auth"> & { auth: AuthSpec };

const hubSecretsSchema = z.strictObject({
    auth: z.strictObject({ clientSecret: z.string().min(1) }).optional(),
    database: z.strictObject({ url: z.string().regex(/^postgres(ql)?(\+\w+)?:\/\//, { error: "must be a postgresql:// URL" }) }).optional(),
    /** Secret z2jh values, merged over the public ones (for anything secret the escape hatch needs). */
    values: z.record(z.string(), z.unknown()).optional(),
});
export type HubSecretsSpec = z.infer<typeof hubSecretsSchema>;

const clusterSecretsSchema = z.strictObject({
    /** A whole kubeconfig file for an existing cluster. */
    kubeconfig: z.string().min(1).optional(),
});
export type ClusterSecretsSpec = z.infer<typeof clusterSecretsSchema>;

// ---------------------------------------------------------------------------------------------------------
// Problems and their reporting

type PathPart = string | number;

export function formatPath(path: readonly PathPart[]): string {
    return path.map((part, i) => typeof part === "number" ? `[${part}]`
        : /^[A-Za-z_][A-Za-z0-9_-]*$/.test(part) ? (i === 0 ? part : `.${part}`) : `["${part}"]`).join("");
}

/** One error listing every problem in a stack's config. */
export class FleetConfigError extends Error {
    constructor(readonly stackFile: string, readonly problems: readonly string[]) {
        super(`${stackFile}: ${problems.length} configuration problem${problems.length === 1 ? "" : "s"} ` +
            `under "${CONFIG_NAMESPACE}:" (nothing was deployed):\n` + problems.map(p => `  - ${p}`).join("\n"));
        this.name = "FleetConfigError";
    }
}

class Problems {
    readonly list: string[] = [];
    add(path: readonly PathPart[], what: string, fix: string): void {
        this.list.push(`${formatPath(path)}: ${what} (${fix})`);
    }
}

function describe(value: unknown): string {
    if (value === undefined) return "nothing";
    if (value === null) return "null";
    if (Array.isArray(value)) return "a list";
    if (typeof value === "object") return "a map";
    return `${typeof value} ${JSON.stringify(value)}`;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
    let current = root;
    for (const part of path) {
        if (current === null || typeof current !== "object") return undefined;
        current = (current as Record<PropertyKey, unknown>)[part];
    }
    return current;
}

function unknownKeyFix(key: string, allowed: readonly string[], context: ProviderContext | undefined): string {
    const owners = context && PROVIDER_ONLY_FIELDS[key];
    if (owners && context?.provider && !owners.includes(context.provider)) {
        return `${key} applies to ${owners.join(" / ")} clusters only, and this cluster is ${context.provider}; remove it`;
    }
    if (key === "clientSecret" && context?.secretHint) {
        return `secrets go in hubSecrets, encrypted: ${context.secretHint}`;
    }
    const guess = closestMatch(key, allowed);
    return guess ? `did you mean ${guess}?` : `allowed here: ${allowed.join(", ")}`;
}

interface ProviderContext {
    /** The cluster's provider, when known. */
    provider?: ProviderName;
    description: string;
    /** The config-set command for a secret misplaced at this level. */
    secretHint?: string;
}

/** Parses `value` with `schema`, turning zod issues into operator-facing problems. */
function check<S extends z.ZodType>(schema: S, value: unknown, path: readonly PathPart[], problems: Problems,
    context?: ProviderContext): z.infer<S> | undefined {
    const result = schema.safeParse(value);
    if (result.success) {
        return result.data;
    }
    for (const issue of result.error.issues) {
        const at = [...path, ...(issue.path as PathPart[])];
        const actual = valueAt(value, issue.path);
        switch (issue.code) {
            case "unrecognized_keys": {
                const shape = shapeAt(schema, issue.path as PathPart[]);
                for (const key of issue.keys) {
                    problems.add([...at, key], "unknown key", unknownKeyFix(key, shape, context));
                }
                break;
            }
            case "invalid_type":
                if (actual === undefined) {
                    problems.add(at, "missing required field", `add it: a ${issue.expected}`);
                } else {
                    problems.add(at, `expected ${issue.expected === "int" ? "a whole number" : `a ${issue.expected}`}, got ${describe(actual)}`,
                        `change it to a ${issue.expected === "int" ? "whole number" : issue.expected}`);
                }
                break;
            case "invalid_value":
                problems.add(at, `${describe(actual)} is not allowed`,
                    `use one of: ${issue.values.map(v => JSON.stringify(v)).join(", ")}`);
                break;
            case "too_small":
            case "too_big": {
                const limit = issue.code === "too_small" ? `at least ${issue.minimum}` : `at most ${issue.maximum}`;
                const unit = issue.origin === "array" ? " entries" : issue.origin === "string" ? " characters" : "";
                problems.add(at, `${describe(actual)} is too ${issue.code === "too_small" ? "small" : "big"}`,
                    `it must be ${limit}${unit}`);
                break;
            }
            default: {
                // Our own messages read "what (fix)"; zod's built-in ones get a generic fix.
                const [what, fix] = splitMessage(issue.message);
                problems.add(at, `${describe(actual)} ${what}`, fix ?? "see README.md, Configuration reference");
            }
        }
    }
    return undefined;
}

function splitMessage(message: string): [string, string | undefined] {
    const match = /^(.*) \((.*)\)$/.exec(message);
    return match ? [match[1], match[2]] : [message.replace(/^Invalid input: /, "is invalid: "), undefined];
}

/** Keys allowed by the object schema at `path` inside `schema`, for typo suggestions. */
function shapeAt(schema: z.ZodType, path: readonly PathPart[]): string[] {
    let current: z.ZodType | undefined = schema;
    for (const part of [...path, undefined]) {
        while (current && ["optional", "default", "nullable", "pipe"].includes(current.def.type)) {
            const def = current.def as unknown as { innerType?: z.ZodType; in?: z.ZodType };
            current = def.innerType ?? def.in;
        }
        if (!current || part === undefined) break;
        if (current instanceof z.ZodObject) current = current.shape[part as string] as z.ZodType | undefined;
        else if (current instanceof z.ZodRecord) current = current.def.valueType as z.ZodType;
        else if (current instanceof z.ZodArray) current = current.def.element as z.ZodType;
        else current = undefined;
    }
    return current instanceof z.ZodObject ? Object.keys(current.shape) : [];
}

/** Parses a tagged union (cluster `provider`, auth `type`, homeStorage `type`) with a precise error. */
function checkTagged<T>(schemas: Record<string, z.ZodType>, allowed: readonly string[], tag: string,
    value: unknown, path: readonly PathPart[], problems: Problems, context?: ProviderContext): T | undefined {
    if (!isPlainObject(value)) {
        problems.add(path, `expected a map, got ${describe(value)}`, `give a map with ${tag}: ${allowed.join(" | ")}`);
        return undefined;
    }
    const kind = value[tag];
    if (typeof kind !== "string" || !allowed.includes(kind)) {
        const where = context ? ` on ${context.description}` : "";
        const guess = typeof kind === "string" ? closestMatch(kind, allowed) : undefined;
        problems.add([...path, tag], kind === undefined ? "missing required field" : `${describe(kind)} is not supported${where}`,
            `use one of: ${allowed.join(", ")}${guess ? `; did you mean ${guess}?` : ""}`);
        return undefined;
    }
    const provider = tag === "provider" ? kind as ProviderName : context?.provider;
    return check(schemas[kind], value, path, problems,
        { ...context, provider, description: context?.description ?? `${kind} clusters` }) as T | undefined;
}

// ---------------------------------------------------------------------------------------------------------
// The fleet

export interface RawFleetConfig {
    clusters?: unknown;
    hubDefaults?: unknown;
    hubs?: unknown;
    hubSecrets?: unknown;
    clusterSecrets?: unknown;
    /** Any other key of the project's namespace: a typo (`hub:` for `hubs:`), reported as a problem. */
    [unknownKey: string]: unknown;
}

/** The project's config keys (`jupyterhub-fleet:<key>`). */
export const FLEET_CONFIG_KEYS = ["clusters", "hubDefaults", "hubs", "hubSecrets", "clusterSecrets"] as const;

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

/** The full name of a bucket: globally unique clouds get the cluster prefix, OVH and existing storage don't. */
export function bucketFullName(clusterKey: string, provider: ProviderName, bucketKey: string, bucket: BucketSpec): string {
    if (bucket.name) return bucket.name;
    return provider === "aws" || provider === "gcp" ? `${clusterKey}-${bucketKey}` : bucketKey;
}

/** Name of the per-hub cloud identity: the IAM role on AWS, the service account id on GCP. */
export function hubIdentityName(clusterKey: string, hubKey: string): string {
    return `${clusterKey}-${hubKey}`;
}

export function nodePoolPurpose(poolKey: string, pool: NodePoolSpec): "core" | "user" {
    return pool.purpose ?? (poolKey === "core" ? "core" : "user");
}

function secretCommand(path: string, example: string): string {
    return `pulumi config set --secret --path '${path}' '${example}'`;
}

function recordOf(value: unknown, path: readonly PathPart[], problems: Problems, what: string): Record<string, unknown> {
    if (value === undefined) return {};
    if (!isPlainObject(value)) {
        problems.add(path, `expected a map of ${what}, got ${describe(value)}`, `write it as a YAML map keyed by ${what.replace(/s$/, "")} name`);
        return {};
    }
    return value;
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
        if (cluster.provider === "kubernetes") {
            checkKubeconfig(key, cluster, clusterSecrets[key], problems);
        } else if (clusterSecrets[key]?.kubeconfig) {
            problems.add(["clusterSecrets", key, "kubeconfig"], `${cluster.provider} clusters build their own kubeconfig`,
                `remove it: pulumi config rm --path 'clusterSecrets.${key}.kubeconfig'`);
        }
    }

    let hubDefaults: Record<string, unknown> = recordOf(raw.hubDefaults, ["hubDefaults"], problems, "hub fields");
    if (!check(hubSchema.partial(), hubDefaults, ["hubDefaults"], problems)) {
        hubDefaults = {};
    }

    for (const key of ["hubSecrets", "clusterSecrets"] as const) {
        if (raw[key] !== undefined && options.secretKeys && !options.secretKeys.includes(key)) {
            problems.add([key], "is stored in plain text in the stack file",
                `delete it from ${stackFile} and set each value with --secret, e.g. ` +
                secretCommand(key === "hubSecrets" ? "hubSecrets.<hub>.auth.clientSecret" : "clusterSecrets.<cluster>.kubeconfig", "<value>"));
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
    for (const [key, value] of Object.entries(rawHubs)) {
        const path = ["hubs", key];
        if (!DNS_LABEL.test(key) || key.length > 63) {
            problems.add(path, "hub key is not a valid namespace name",
                "use lowercase letters, digits and '-', start with a letter, at most 63 characters");
        }
        if (!isPlainObject(value)) {
            problems.add(path, `expected a map, got ${describe(value)}`, "give the hub's fields as a map");
            continue;
        }
        const merged = deepMerge(hubDefaults, value);
        const clusterKey = merged.cluster;
        const cluster = typeof clusterKey === "string" ? clusterFacts[clusterKey] : undefined;
        checkValuesForSecrets(merged.values, [...path, "values"], key, problems);
        const context: ProviderContext = {
            provider: cluster?.provider, description: cluster ? `cluster ${clusterKey} (${cluster.provider})` : "this cluster",
            secretHint: secretCommand(`hubSecrets.${key}.auth.clientSecret`, "<client secret>"),
        };
        const hub = check(hubSchema, merged, path, problems, context);
        const authTypes = Object.keys(authSchemas);
        const auth = checkTagged<AuthSpec>(authSchemas, authTypes, "type", merged.auth, [...path, "auth"], problems, context);
        if (!hub || !auth) continue;
        hubs[key] = { ...hub, auth };
        if (typeof clusterKey === "string" && !(clusterKey in rawClusters)) {
            const guess = closestMatch(clusterKey, Object.keys(rawClusters));
            problems.add([...path, "cluster"], `no cluster "${clusterKey}" is defined`,
                guess ? `did you mean ${guess}?` : `use one of: ${Object.keys(rawClusters).join(", ") || "(none: add clusters first)"}`);
        }
        if (cluster) checkHub(key, hubs[key], clusterKey as string, cluster, path, problems);
    }

    const hubSecrets: Record<string, HubSecretsSpec> = {};
    for (const [key, value] of Object.entries(recordOf(raw.hubSecrets, ["hubSecrets"], problems, "hubs"))) {
        const path = ["hubSecrets", key];
        if (!(key in rawHubs)) {
            problems.add(path, `no hub "${key}" is defined`, `remove it (pulumi config rm --path 'hubSecrets.${key}'), or add hubs.${key}`);
        }
        const secrets = check(hubSecretsSchema, value, path, problems);
        if (secrets) hubSecrets[key] = secrets;
    }
    for (const [key, hub] of Object.entries(hubs)) {
        checkHubSecrets(key, hub, hubSecrets[key], problems);
    }

    if (problems.list.length > 0) {
        throw new FleetConfigError(stackFile, problems.list);
    }
    return { stack: options.stack, clusters, hubs, hubSecrets, clusterSecrets };
}

function checkClusterKey(key: string, path: readonly PathPart[], problems: Problems): void {
    if (!CLUSTER_KEY.test(key) || key.length > MAX_CLUSTER_KEY_LENGTH) {
        problems.add(path, "cluster key is not a valid name",
            `use 2–${MAX_CLUSTER_KEY_LENGTH} lowercase letters, digits and '-', starting with a letter; ` +
            "it prefixes cloud resource names, and GCP service accounts allow 29 characters for cluster + hub");
    }
}

function checkCluster(key: string, cluster: ClusterSpec, path: readonly PathPart[], problems: Problems): void {
    const pools = cluster.provider === "kubernetes" ? {} : cluster.nodePools;
    if (cluster.provider !== "kubernetes") {
        const purposes = Object.entries(pools).map(([poolKey, pool]) => nodePoolPurpose(poolKey, pool));
        if (!purposes.includes("core")) {
            problems.add([...path, "nodePools"], "no core node pool",
                "add a pool keyed core (or with purpose: core) to run the hub and proxy");
        }
        if (!purposes.includes("user")) {
            problems.add([...path, "nodePools"], "no user node pool",
                "add a pool such as user: { machineType: …, minNodes: 0, maxNodes: 10 }");
        }
    }
    for (const [poolKey, pool] of Object.entries(pools)) {
        const poolPath = [...path, "nodePools", poolKey];
        if (!DNS_LABEL.test(poolKey) || poolKey.length > 20) {
            problems.add(poolPath, "node pool key is not a valid name", "use up to 20 lowercase letters, digits and '-'");
        }
        if (pool.minNodes > pool.maxNodes) {
            problems.add([...poolPath, "minNodes"], `${pool.minNodes} is greater than maxNodes (${pool.maxNodes})`,
                "lower minNodes or raise maxNodes");
        }
        if (nodePoolPurpose(poolKey, pool) === "core" && pool.minNodes < 1) {
            problems.add([...poolPath, "minNodes"], "the core pool runs the hub, the proxy and cluster DNS, so it cannot scale to zero",
                "set minNodes: 1 or more (user pools may scale to zero)");
        }
        if (pool.spot && cluster.provider !== "aws") {
            problems.add([...poolPath, "spot"], `spot applies to aws clusters only, and this cluster is ${cluster.provider}`, "remove it");
        } else if (pool.spot && nodePoolPurpose(poolKey, pool) === "core") {
            problems.add([...poolPath, "spot"], "the core pool runs the hub and proxy, which must not be preempted",
                "remove spot from the core pool; use it on user pools");
        }
    }
    for (const [bucketKey, bucket] of Object.entries(cluster.buckets)) {
        const bucketPath = [...path, "buckets", bucketKey];
        const fullName = bucketFullName(key, cluster.provider, bucketKey, bucket);
        if (!BUCKET_NAME.test(fullName) || fullName.includes("..") || IPV4_ADDRESS.test(fullName)) {
            problems.add(bucket.name ? [...bucketPath, "name"] : bucketPath, `bucket name "${fullName}" is not allowed by the cloud`,
                "bucket names are 3–63 lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, and not an IP address" +
                (bucket.name ? "" : `; change the key or set name:`));
        }
        if (cluster.provider === "kubernetes" && bucket.deleteAfterDays !== undefined) {
            problems.add([...bucketPath, "deleteAfterDays"], "buckets on an existing cluster are not managed here, so no lifecycle rule can be set",
                "remove it, or set the rule on the storage system");
        }
    }
    if (cluster.provider === "kubernetes" && !cluster.local && cluster.homeStorage.type === "dynamic" && !cluster.homeStorage.storageClass) {
        // Nothing here knows what the cluster's default class does, and most delete a volume with its claim.
        problems.add([...path, "homeStorage", "storageClass"], "dynamic homes on an existing cluster need a named storage class",
            "name one whose reclaimPolicy is Retain (the deployment checks it), or use homeStorage: { type: nfs, … }");
    }
    if (cluster.provider === "kubernetes" && Object.keys(cluster.buckets).length > 0 && !cluster.s3Endpoint) {
        problems.add([...path, "buckets"], "buckets on an existing cluster need the S3 endpoint that serves them",
            "add s3Endpoint: https://… to the cluster");
    }
    if (cluster.provider === "aws") {
        const network = cluster.network;
        if (network.vpcId && (network.vpcCidr || network.availabilityZones)) {
            problems.add([...path, "network"], "both an existing VPC (vpcId) and a new one (vpcCidr / availabilityZones) are given",
                "keep vpcId + subnetIds for an existing VPC, or vpcCidr for a new one");
        }
        if (network.vpcId && !network.subnetIds) {
            problems.add([...path, "network", "subnetIds"], "missing required field for an existing VPC",
                "list the private subnets (2–3 zones) the nodes and EFS mount targets go in");
        }
        if (network.subnetIds && !network.vpcId) {
            problems.add([...path, "network", "vpcId"], "missing required field with subnetIds", "add the VPC those subnets belong to");
        }
        if (network.availabilityZones?.some(zone => !zone.startsWith(cluster.region))) {
            problems.add([...path, "network", "availabilityZones"], `zones must be in ${cluster.region}`,
                `use zones such as ${cluster.region}a, ${cluster.region}b`);
        }
        const longest = `${key}-autoscaler`;
        if (longest.length > AWS_ROLE_NAME_MAX) {
            problems.add(path, "cluster key too long for IAM role names", `shorten it below ${AWS_ROLE_NAME_MAX - 11} characters`);
        }
        if (!(cluster.kubernetesVersion in CLUSTER_AUTOSCALER_IMAGE_TAGS)) {
            const known = Object.keys(CLUSTER_AUTOSCALER_IMAGE_TAGS);
            problems.add([...path, "kubernetesVersion"], `no cluster autoscaler release is known for Kubernetes ${cluster.kubernetesVersion}`,
                `use one of ${known.join(", ")}, or add its cluster-autoscaler image tag to components/aws/autoscalerRelease.ts`);
        }
    }
    if (cluster.provider === "gcp") {
        if (cluster.kubernetesVersion && cluster.releaseChannel) {
            problems.add([...path, "releaseChannel"], "a pinned kubernetesVersion and a releaseChannel are both set",
                "keep one: a release channel upgrades the cluster by itself");
        }
        if (!cluster.kubernetesVersion && !cluster.releaseChannel) {
            problems.add([...path, "kubernetesVersion"], "neither a kubernetesVersion nor a releaseChannel is set",
                "pin a version such as \"1.33\" or set releaseChannel: STABLE");
        }
        if (!cluster.zone.startsWith(`${cluster.region}-`)) {
            problems.add([...path, "zone"], `zone ${cluster.zone} is not in region ${cluster.region}`, `use a zone such as ${cluster.region}-b`);
        }
        const home = cluster.homeStorage;
        if (home.type === "filestore" && home.capacityGb < FILESTORE_MIN_CAPACITY_GB[home.tier]) {
            problems.add([...path, "homeStorage", "capacityGb"], `${home.capacityGb} GB is below the ${home.tier} minimum`,
                `set at least ${FILESTORE_MIN_CAPACITY_GB[home.tier]}`);
        }
    }
    if (cluster.provider === "ovh") {
        checkAccessGroups(cluster, path, problems);
    }
    if (cluster.provider === "kubernetes") {
        const seen = new Set<string>();
        cluster.extraMounts.forEach((mount, i) => {
            if (seen.has(mount.name)) {
                problems.add([...path, "extraMounts", i, "name"], `mount name "${mount.name}" is used twice`, "give each mount its own name");
            }
            seen.add(mount.name);
            if (mount.mountPath === "/home/jovyan" || mount.mountPath.startsWith("/home/jovyan/..")) {
                problems.add([...path, "extraMounts", i, "mountPath"], "would hide the user's home directory", "mount it elsewhere, e.g. /scratch");
            }
        });
    }
}

function checkAccessGroups(cluster: OvhClusterSpec, path: readonly PathPart[], problems: Problems): void {
    const groups = cluster.accessGroups ?? {};
    const memberOf = new Map<string, string>();
    for (const [groupKey, group] of Object.entries(groups)) {
        const groupPath = [...path, "accessGroups", groupKey];
        if (!DNS_LABEL.test(groupKey) || groupKey.length > 32) {
            problems.add(groupPath, "group key is not a valid name", "use up to 32 lowercase letters, digits and '-'");
        }
        if (groupKey === "default" && group.members?.length) {
            problems.add([...groupPath, "members"], "the default group serves everyone without a group and has no members",
                "move these users to a named group");
        }
        if (groupKey === "default" && group.admin) {
            problems.add([...groupPath, "admin"], "would give every hub user full control of every bucket", "remove it; make an admins group");
        }
        (group.members ?? []).forEach((member, i) => {
            if (!GITHUB_LOGIN.test(member)) {
                problems.add([...groupPath, "members", i], `"${member}" is not a valid lowercase GitHub username`,
                    `write it in lowercase, e.g. ${member.toLowerCase()}`);
            }
            const earlier = memberOf.get(member);
            if (earlier) {
                problems.add([...groupPath, "members", i], `${member} is already in group ${earlier}, and OVH keeps one policy per user`,
                    `keep ${member} in one group; make a group that has both groups' access if needed`);
            }
            memberOf.set(member, groupKey);
        });
        for (const mode of ["read", "write"] as const) {
            (group[mode] ?? []).forEach((bucketKey, i) => {
                if (!(bucketKey in cluster.buckets)) {
                    const guess = closestMatch(bucketKey, Object.keys(cluster.buckets));
                    problems.add([...groupPath, mode, i], `no bucket "${bucketKey}" on this cluster`,
                        guess ? `did you mean ${guess}?` : `add it under buckets, or use one of: ${Object.keys(cluster.buckets).join(", ")}`);
                }
            });
        }
    }
}

function checkBucketNamesUnique(clusters: Record<string, ClusterSpec>, problems: Problems): void {
    const owners = new Map<string, string>();
    for (const [key, cluster] of Object.entries(clusters)) {
        for (const [bucketKey, bucket] of Object.entries(cluster.buckets)) {
            const name = bucketFullName(key, cluster.provider, bucketKey, bucket);
            const owner = owners.get(name);
            if (owner) {
                problems.add(["clusters", key, "buckets", bucketKey], `bucket name "${name}" is also used by ${owner}`,
                    "give one of them another key or name:");
            }
            owners.set(name, `clusters.${key}.buckets.${bucketKey}`);
        }
    }
}

function checkKubeconfig(key: string, cluster: KubernetesClusterSpec, secrets: ClusterSecretsSpec | undefined, problems: Problems): void {
    if (!secrets?.kubeconfig) return;
    const path = ["clusterSecrets", key, "kubeconfig"];
    let parsed: unknown;
    try {
        parsed = parseYaml(secrets.kubeconfig);
    } catch (error) {
        problems.add(path, `does not parse as YAML (${(error as Error).message.split("\n")[0]})`,
            `set the whole file: pulumi config set --secret --path '${path.join(".")}' < kubeconfig.yaml`);
        return;
    }
    const contexts = isPlainObject(parsed) && Array.isArray(parsed.contexts)
        ? parsed.contexts.map(c => isPlainObject(c) ? String(c.name) : "") : undefined;
    if (!contexts || !isPlainObject(parsed) || !Array.isArray(parsed.clusters)) {
        problems.add(path, "is not a kubeconfig (no clusters or contexts list)",
            `set the whole file: pulumi config set --secret --path '${path.join(".")}' < kubeconfig.yaml`);
        return;
    }
    if (cluster.context && !contexts.includes(cluster.context)) {
        problems.add(["clusters", key, "context"], `context "${cluster.context}" is not in clusterSecrets.${key}.kubeconfig`,
            `use one of: ${contexts.join(", ")}`);
    }
    if (!cluster.context && typeof parsed["current-context"] !== "string") {
        problems.add(path, "has no current-context, and clusters." + key + ".context is not set",
            `set clusters.${key}.context to one of: ${contexts.join(", ")}`);
    }
}

function checkHub(key: string, hub: HubSpec, clusterKey: string, cluster: ClusterSpec, path: readonly PathPart[], problems: Problems): void {
    const provider = cluster.provider;
    const bucketKeys = Object.keys(cluster.buckets);
    const bucketRef = (refPath: readonly PathPart[], bucketKey: string) => {
        if (!bucketKeys.includes(bucketKey)) {
            const guess = closestMatch(bucketKey, bucketKeys);
            problems.add(refPath, `no bucket "${bucketKey}" on cluster ${clusterKey}`,
                guess ? `did you mean ${guess}?` : bucketKeys.length ? `use one of: ${bucketKeys.join(", ")}` : `add it under clusters.${clusterKey}.buckets`);
            return false;
        }
        return true;
    };

    const access = hub.cloudAccess;
    if (access) {
        const accessPath = [...path, "cloudAccess"];
        if (provider === "ovh" || provider === "kubernetes") {
            problems.add(accessPath, `${provider} clusters have no workload identity for per-hub cloud roles`,
                provider === "ovh" ? `remove it; grant buckets through clusters.${clusterKey}.accessGroups` : "remove it; give users keys through userSecrets.vault");
        }
        access.bucketAdminAccess.forEach((b, i) => bucketRef([...accessPath, "bucketAdminAccess", i], b));
        access.bucketReadonlyAccess.forEach((b, i) => {
            if (bucketRef([...accessPath, "bucketReadonlyAccess", i], b) && access.bucketAdminAccess.includes(b)) {
                problems.add([...accessPath, "bucketReadonlyAccess", i], `bucket ${b} is also in bucketAdminAccess`, "list it in one of them");
            }
        });
        if (access.requestorPays && provider !== "gcp") {
            problems.add([...accessPath, "requestorPays"], `requestorPays applies to gcp clusters only, and ${clusterKey} is ${provider}`,
                "remove it; AWS requester-pays buckets need only the s3 permissions");
        }
        if (access.extraIamPolicy && provider !== "aws") {
            problems.add([...accessPath, "extraIamPolicy"], `extraIamPolicy applies to aws clusters only, and ${clusterKey} is ${provider}`,
                provider === "gcp" ? "remove it; grant GCP roles to the hub's service account instead" : "remove it");
        }
        const identity = hubIdentityName(clusterKey, key);
        if (provider === "gcp" && !GCP_SERVICE_ACCOUNT_ID.test(identity)) {
            problems.add(path, `the hub's GCP service account id "${identity}" has ${identity.length} characters; GCP allows 6–30`,
                identity.length < 6 ? "lengthen the hub key: <cluster>-<hub> needs at least 6 characters"
                    : `shorten the hub key: the cluster and hub keys may total at most 29 characters, ${clusterKey.length} of them being the cluster's`);
        }
        if (provider === "aws" && identity.length > AWS_ROLE_NAME_MAX) {
            problems.add(path, `the hub's IAM role name "${identity}" has ${identity.length} characters; AWS allows ${AWS_ROLE_NAME_MAX}`,
                "shorten the hub or cluster key");
        }
    }

    const withAccess = new Set([...(access?.bucketAdminAccess ?? []), ...(access?.bucketReadonlyAccess ?? [])]);
    for (const [envName, bucketKey] of Object.entries(hub.bucketEnv)) {
        const envPath = [...path, "bucketEnv", envName];
        if (!ENV_NAME.test(envName)) {
            problems.add(envPath, "is not an environment variable name", "use letters, digits and _, e.g. SCRATCH_BUCKET");
        }
        if (bucketRef(envPath, bucketKey) && (provider === "aws" || provider === "gcp") && !withAccess.has(bucketKey)) {
            problems.add(envPath, `users would get the bucket's URL but no access to bucket ${bucketKey}`,
                `add ${bucketKey} to hubs.${key}.cloudAccess.bucketAdminAccess (or bucketReadonlyAccess)`);
        }
    }
    for (const envName of Object.keys(hub.env)) {
        if (!ENV_NAME.test(envName)) {
            problems.add([...path, "env", envName], "is not an environment variable name", "use letters, digits and _");
        }
    }

    const auth = hub.auth;
    const authPath = [...path, "auth"];
    const isLocal = cluster.provider === "kubernetes" && cluster.local;
    if (auth.type === "dummy" && !isLocal) {
        problems.add([...authPath, "type"], "dummy auth lets anyone log in with any password, and is allowed only on a local cluster",
            `use github or oidc, or mark a laptop cluster with clusters.${clusterKey}.local: true`);
    }
    if (auth.type === "github" && !auth.allowAll && !auth.allowedOrganizations?.length && !auth.allowedUsers?.length) {
        problems.add(authPath, "nobody could log in: JupyterHub 5 needs an allow rule",
            "add allowedOrganizations or allowedUsers (or allowAll: true to admit every GitHub user)");
    }
    if (auth.type === "oidc" && !auth.allowAll && !auth.allowedGroups?.length && !auth.allowedUsers?.length) {
        problems.add(authPath, "nobody could log in: JupyterHub 5 needs an allow rule",
            "add allowedGroups or allowedUsers (or allowAll: true to admit every account of the identity provider)");
    }
    if (hub.domain && !hub.contactEmail) {
        problems.add([...path, "contactEmail"], "missing: Let's Encrypt needs a contact address for https on " + hub.domain,
            "add contactEmail (here or in hubDefaults)");
    }
    const vault = hub.userSecrets?.vault;
    if (vault && auth.type !== "oidc") {
        problems.add([...path, "userSecrets", "vault"], `Vault logs users in with their OIDC token, and ${auth.type} auth keeps none`,
            "use auth.type: oidc with the identity provider Vault trusts, or remove userSecrets");
    }
    if (vault && !vault.path.includes("{username}")) {
        problems.add([...path, "userSecrets", "vault", "path"], "has no {username}, so every user would get the same secret",
            "write it like users/{username}/s3");
    }
    const defaults = Object.entries(hub.profiles).filter(([, p]) => p.default);
    if (defaults.length > 1) {
        problems.add([...path, "profiles"], `${defaults.length} profiles are marked default (${defaults.map(([k]) => k).join(", ")})`,
            "mark one");
    }
    for (const [profileKey, profile] of Object.entries(hub.profiles)) {
        if (profile.cpu?.guarantee && profile.cpu.limit && profile.cpu.guarantee > profile.cpu.limit) {
            problems.add([...path, "profiles", profileKey, "cpu"], "guarantee is above limit", "lower the guarantee or raise the limit");
        }
    }
}

const SECRET_VALUE_KEYS = /^(client_secret|clientSecret|cookieSecret|cookie_secret|secretToken|secret_token|password|api_token|apiToken|keys|url)$/;

/** Raw values are public (they show in previews and state); secrets there belong in hubSecrets.<hub>.values. */
function checkValuesForSecrets(values: unknown, path: readonly PathPart[], hubKey: string, problems: Problems): void {
    if (!isPlainObject(values)) return;
    for (const [key, value] of Object.entries(values)) {
        const inDb = path[path.length - 1] === "db";
        if (SECRET_VALUE_KEYS.test(key) && (key !== "url" || inDb) && value !== null && value !== undefined && value !== "") {
            const secretPath = ["hubSecrets", hubKey, ...path.slice(2), key].join(".");
            problems.add([...path, key], "looks like a secret in plain config (it would show in previews, state and git)",
                `move it: pulumi config rm --path '${path.join(".")}.${key}' && ${secretCommand(secretPath, "<value>")}`);
        } else {
            checkValuesForSecrets(value, [...path, key], hubKey, problems);
        }
    }
}

function checkHubSecrets(key: string, hub: HubSpec, secrets: HubSecretsSpec | undefined, problems: Problems): void {
    if ((hub.auth.type === "github" || hub.auth.type === "oidc") && !secrets?.auth?.clientSecret) {
        problems.add(["hubSecrets", key, "auth", "clientSecret"], `missing: ${hub.auth.type} auth needs the OAuth client secret`,
            `run: ${secretCommand(`hubSecrets.${key}.auth.clientSecret`, "<client secret>")}`);
    }
    if (hub.database?.type === "postgres" && !secrets?.database?.url) {
        problems.add(["hubSecrets", key, "database", "url"], "missing: an external postgres database needs its URL",
            `run: ${secretCommand(`hubSecrets.${key}.database.url`, "postgresql://user:password@host:5432/jupyterhub")}`);
    }
    if (secrets?.database && !hub.database) {
        problems.add(["hubSecrets", key, "database"], "a database URL is set but the hub uses its own SQLite database",
            `add database: { type: postgres } to hubs.${key}, or remove the secret`);
    }
}

// ---------------------------------------------------------------------------------------------------------
// Reading from Pulumi

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
