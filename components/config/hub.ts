/** Hubs: the hub schema (shared by hubDefaults), its auth, cloud access and profiles, and hubSecrets. */
import { z } from "zod";
import { PathPart, Problems } from "./errors";
import { DNS_LABEL, ENV_NAME, EXACT_SEMVER, HELM_RELEASE_NAME_MAX, MAX_HUB_KEY_LENGTH, RESERVED_NAMESPACE } from "./names";

/** A path on the user's server: one leading slash (two would be another host), no whitespace. */
const DEFAULT_URL = /^\/(?!\/)\S*$/;

export const DEFAULT_CHART_VERSION = "4.4.2";

const userList = z.array(z.string().min(1));

/** A GitHub organization (`example-org`) or one of its teams as `org:team-slug`, the slug as in the team's URL. */
const GITHUB_ORG_OR_TEAM = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?::[a-z0-9][a-z0-9_.-]*)?$/;
export const GITHUB_TEAM = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?:[a-z0-9][a-z0-9_.-]*$/;

/**
 * One CILogon identity provider, keyed by its entity id (https://cilogon.org/idplist). Mirrors an entry of
 * oauthenticator's `CILogonOAuthenticator.idps` (oauthenticator 17.4 `cilogon.py`, `schemas/cilogon-schema.yaml`).
 */
const cilogonIdpSchema = z.strictObject({
    usernameDerivation: z.strictObject({
        /** Claim of CILogon's userinfo that becomes the hub username, e.g. `email` or `eppn`. */
        usernameClaim: z.string().min(1),
        /** Drop `@<domain>` from usernames of this domain (oauthenticator's `strip_idp_domain` action). */
        stripDomain: z.string().min(1).optional(),
        /** Prefix usernames with `<prefix>:` (oauthenticator's `prefix` action), keeping providers apart. */
        prefix: z.string().min(1).optional(),
    }),
    /** Users whose domain matches one of these (`*` wildcards as in fnmatch) may log in. */
    allowedDomains: z.array(z.string().min(1)).optional(),
    /** Claim the domain is read from; by default the username claim's value after its `@`. */
    allowedDomainsClaim: z.string().min(1).optional(),
    /** Every account of this identity provider may log in. Never implied. */
    allowAll: z.boolean().default(false),
    /** Pre-selected on CILogon's login page. */
    default: z.boolean().optional(),
});
export type CilogonIdpSpec = z.infer<typeof cilogonIdpSchema>;

/**
 * An OAuth client of an OpenID Connect provider, as the hubs' `oidc` auth and Grafana's sign-in both name it
 * (the secret goes in hubSecrets / clusterSecrets).
 */
export const oauthClientFields = {
    clientId: z.string().min(1),
    authorizeUrl: z.url(),
    tokenUrl: z.url(),
    userdataUrl: z.url(),
    scopes: z.array(z.string().min(1)).default(["openid", "profile", "email"]),
    /** Claim in the userinfo response that lists the user's groups. */
    groupsClaim: z.string().min(1).default("groups"),
};

export const authSchemas = {
    github: z.strictObject({
        type: z.literal("github"),
        /** OAuth app client id; the secret goes in hubSecrets.<hub>.auth.clientSecret. */
        clientId: z.string().min(1),
        /** Members of these organizations (`org`) or teams (`org:team-slug`) may log in. */
        allowedOrganizations: z.array(z.string().regex(GITHUB_ORG_OR_TEAM, {
            error: "must be an organization or a team (write example-org, or example-org:team-slug with the slug from the team's URL)",
        })).optional(),
        allowedUsers: userList.optional(),
        adminUsers: userList.optional(),
        /** Members of these teams (`org:team-slug`) are admins. */
        adminTeams: z.array(z.string().regex(GITHUB_TEAM, {
            error: "must be a team (write org:team-slug with the slug from the team's URL, github.com/orgs/<org>/teams/<team-slug>)",
        })).optional(),
        /** Anyone with a GitHub account may log in. Never implied. */
        allowAll: z.boolean().default(false),
    }),
    oidc: z.strictObject({
        type: z.literal("oidc"),
        ...oauthClientFields,
        usernameClaim: z.string().min(1).default("preferred_username"),
        /**
         * The operator's statement that `usernameClaim` holds the user's GitHub login (an identity provider that
         * brokers GitHub), which OVH accessGroups, keyed by GitHub login, need.
         */
        usernamesAreGithubLogins: z.boolean().optional(),
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
    cilogon: z.strictObject({
        type: z.literal("cilogon"),
        /** CILogon client id (`cilogon:/client_id/…`); the secret goes in hubSecrets.<hub>.auth.clientSecret. */
        clientId: z.string().min(1),
        /** The only identity providers users may log in with, by entity id. */
        allowedIdps: z.record(z.string(), cilogonIdpSchema).default({}),
        allowedUsers: userList.optional(),
        adminUsers: userList.optional(),
    }),
    /**
     * A workshop hub: any username with the shared password (JupyterHub's SharedPasswordAuthenticator), the
     * names in adminUsers with the admin password. Both passwords live in hubSecrets.<hub>.auth.
     */
    "shared-password": z.strictObject({
        type: z.literal("shared-password"),
        adminUsers: userList.optional(),
        /** Only these usernames may log in with the shared password; by default any name may. */
        allowedUsers: userList.optional(),
    }),
    /** A public hub: every visitor gets a temporary user (tmpauthenticator) and a short-lived server. */
    ephemeral: z.strictObject({
        type: z.literal("ephemeral"),
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
export type CilogonAuthSpec = z.infer<(typeof authSchemas)["cilogon"]>;
export type SharedPasswordAuthSpec = z.infer<(typeof authSchemas)["shared-password"]>;
export type EphemeralAuthSpec = z.infer<(typeof authSchemas)["ephemeral"]>;
export type DummyAuthSpec = z.infer<(typeof authSchemas)["dummy"]>;
export type AuthSpec = GithubAuthSpec | OidcAuthSpec | CilogonAuthSpec | SharedPasswordAuthSpec | EphemeralAuthSpec | DummyAuthSpec;
type AuthType = AuthSpec["type"];

/** Auth types whose identity provider holds an OAuth client: hubSecrets.<hub>.auth.clientSecret is required. */
export const OAUTH_AUTH_TYPES: readonly AuthType[] = ["github", "oidc", "cilogon"];

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
const cpuSchema = z.strictObject({ guarantee: z.number().positive().optional(), limit: z.number().positive().optional() });
const memorySchema = z.strictObject({ guarantee: quantity.optional(), limit: quantity.optional() });
export type CpuSpec = z.infer<typeof cpuSchema>;
export type MemorySpec = z.infer<typeof memorySchema>;

/**
 * JupyterHub groups whose members may see a profile or choice: GitHub teams as `org:team-slug` (the hub
 * turns each user's teams into such groups), or the names in an OIDC groups claim.
 */
const allowedGroups = z.array(z.string().min(1)).min(1);

const imageChoiceSchema = z.strictObject({
    displayName: z.string().min(1),
    /** Image, `name:tag`. */
    image: z.string().regex(/^\S+:[^\s:/]+$|^\S+@sha256:[0-9a-f]{64}$/, {
        error: "has no tag or digest, and an untagged image changes under users (write it like quay.io/pangeo/pangeo-notebook:2025.01.10)",
    }),
    default: z.boolean().optional(),
    allowedGroups: allowedGroups.optional(),
});
const resourceChoiceSchema = z.strictObject({
    displayName: z.string().min(1),
    cpu: cpuSchema.optional(),
    memory: memorySchema.optional(),
    default: z.boolean().optional(),
    allowedGroups: allowedGroups.optional(),
});
export type ImageChoiceSpec = z.infer<typeof imageChoiceSchema>;
export type ResourceChoiceSpec = z.infer<typeof resourceChoiceSchema>;

const profileOptionsSchema = z.strictObject({
    /** A choice of images (KubeSpawner `profile_options.image`). */
    image: z.strictObject({
        displayName: z.string().min(1).default("Image"),
        /**
         * A free-form image field besides the choices (KubeSpawner `unlisted_choice`): `true` for everyone who
         * sees the profile, or `{ allowedGroups }` for those groups only.
         */
        allowUnlisted: z.union([z.boolean(), z.strictObject({ allowedGroups })]).default(false),
        choices: z.record(z.string(), imageChoiceSchema).default({}),
    }).optional(),
    /** A choice of CPU and memory (KubeSpawner `profile_options.resources`). */
    resources: z.strictObject({
        displayName: z.string().min(1).default("Resource allocation"),
        choices: z.record(z.string(), resourceChoiceSchema),
    }).optional(),
});
export type ProfileOptionsSpec = z.infer<typeof profileOptionsSchema>;

const profileSchema = z.strictObject({
    displayName: z.string().min(1),
    description: z.string().optional(),
    /** Image for this profile, `name:tag`. */
    image: z.string().min(1).optional(),
    cpu: cpuSchema.optional(),
    memory: memorySchema.optional(),
    /** Key of a user pool of the hub's cluster: servers of this profile run on it (and only there). */
    nodePool: z.string().min(1).optional(),
    /** GPUs per server (`nvidia.com/gpu`); the profile's nodePool must be a GPU pool. */
    gpus: z.int().positive().optional(),
    /** Only members of these groups see (and may start) the profile. */
    allowedGroups: allowedGroups.optional(),
    options: profileOptionsSchema.optional(),
    default: z.boolean().optional(),
    /** Replaced by nodePool: refused with the way to migrate, rather than as an unknown key. */
    nodeSelector: z.unknown().refine(value => value === undefined, {
        error: "is not taken any more: a profile names its pool with nodePool (write nodePool: <key of a user pool of the hub's cluster>; every pool's nodes carry the label " +
            "jupyterhub-fleet/node-pool: <pool key>, and the fleet adds the tolerations the pool needs)",
    }).optional(),
});
export type ProfileSpec = z.infer<typeof profileSchema>;

/** dask-gateway for a hub's users (components/daskGateway.ts); present means installed. */
const daskGatewaySchema = z.strictObject({
    /** Key of the pool schedulers and workers run on (a `purpose: dask` pool, or a user pool); default: the user pools. */
    workerPool: z.string().min(1).optional(),
    /** Cores one user's clusters may use at once (dask-gateway ClusterConfig.cluster_max_cores). */
    maxCores: z.number().positive().optional(),
    /** Memory one user's clusters may use at once, e.g. 256G (ClusterConfig.cluster_max_memory). */
    maxMemory: quantity.optional(),
    /** A cluster without a connected client shuts down after this long (ClusterConfig.idle_timeout). */
    idleTimeoutMinutes: z.int().positive().default(30),
    /** Scheduler and worker image, `name:tag`; by default the chart's, users pass their own notebook image. */
    image: z.string().regex(/^\S+:\S+$/, { error: "must be name:tag, such as quay.io/pangeo/pangeo-notebook:2025.01.10" }).optional(),
});
export type DaskGatewaySpec = z.infer<typeof daskGatewaySchema>;

export const hubSchema = z.strictObject({
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
    /** dask-gateway for the hub's users, authenticated through the hub. */
    daskGateway: daskGatewaySchema.optional(),
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
    /**
     * `home` (the default): each user's home directory on the cluster's home storage. `none`: no home volume,
     * nothing kept after the server stops (workshops, public hubs; the default for `ephemeral` auth).
     */
    storage: z.enum(["home", "none"]).optional(),
    /** nfs-server homes: this hub's per-user quota in GiB, instead of the cluster's `perUserQuotaGb`. */
    homeQuotaGb: z.number().positive().optional(),
    /**
     * One directory of the hub's home storage mounted into every user server: read-only for users and
     * read-write for admins, or read-write for everyone with `writableBy: everyone`.
     */
    sharedDirectory: z.strictObject({
        mountPath: z.string().regex(/^\/[^\s]*$/, { error: "must be an absolute path such as /srv/shared" }),
        writableBy: z.enum(["admins", "everyone"]).default("admins"),
    }).optional(),
    /** Admins' servers also mount every user's home of this hub, read-write, at /srv/homes (for support). */
    adminHomeAccess: z.boolean().optional(),
    /**
     * Where a user lands when their server starts, a path on it: `/lab`, `/lab/tree/notebooks`, or an
     * nbgitpuller link's target such as `/git-pull?repo=…&urlpath=lab/tree/…`.
     */
    defaultUrl: z.string().regex(DEFAULT_URL, {
        error: "must be a path on the user's server, such as /lab or /git-pull?repo=…&urlpath=lab/tree/… (start with one /, no spaces)",
    }).optional(),
    /** When the idle culler stops servers; defaults by auth type (CULLING_DEFAULTS). */
    culling: z.strictObject({
        /** Stop a server after this long without activity. */
        idleTimeoutMinutes: z.int().positive().optional(),
        /** Stop a server this long after it started, active or not. */
        maxAgeMinutes: z.int().positive().optional(),
    }).optional(),
    /** Each user server's CPU (cores) and memory; public hubs get capped defaults (USER_RESOURCE_DEFAULTS). */
    userResources: z.strictObject({ cpu: cpuSchema.optional(), memory: memorySchema.optional() }).optional(),
    /** Raw z2jh values, deep-merged last: the escape hatch. */
    values: z.record(z.string(), z.unknown()).default({}),
    /** The key this hub had before a rename, so its resources (namespace, homes, identity) are kept as aliases. */
    renamedFrom: z.string()
        .regex(DNS_LABEL, { error: "is not a valid hub key (give the hub's previous key, as it was written under hubs)" })
        .max(MAX_HUB_KEY_LENGTH).optional(),
});
type ParsedHub = z.infer<typeof hubSchema>;
export interface CullingSpec {
    readonly idleTimeoutMinutes: number;
    readonly maxAgeMinutes?: number;
}
export type UserResourcesSpec = NonNullable<ParsedHub["userResources"]>;
export type HubSpec = Omit<ParsedHub, "auth" | "storage" | "culling" | "userResources"> & {
    auth: AuthSpec;
    storage: "home" | "none";
    culling: CullingSpec;
    userResources: UserResourcesSpec;
};

/**
 * Culling when the hub does not say: an hour idle for hubs that keep homes; a public hub's servers go after
 * ten idle minutes and four hours in all, so a visitor's abandoned tab or a crypto miner costs little.
 */
const CULLING_DEFAULTS: { readonly regular: CullingSpec; readonly ephemeral: Required<CullingSpec> } = {
    regular: { idleTimeoutMinutes: 60 },
    ephemeral: { idleTimeoutMinutes: 10, maxAgeMinutes: 240 },
};
/** The longest culling settings a public hub may have: anything longer wants a hub with logins. */
export const EPHEMERAL_CULLING_MAX: Required<CullingSpec> = { idleTimeoutMinutes: 60, maxAgeMinutes: 1440 };
/** A public hub's per-user cap when it sets none (z2jh's own default guarantees 1G and caps nothing). */
const EPHEMERAL_USER_RESOURCES: UserResourcesSpec = { cpu: { limit: 1 }, memory: { guarantee: "1G", limit: "2G" } };

/** The hub with the defaults its auth type implies: a public hub keeps nothing, is culled soon and capped. */
export function withAuthDefaults(hub: ParsedHub, auth: AuthSpec): HubSpec {
    const ephemeral = auth.type === "ephemeral";
    const resourceDefaults: UserResourcesSpec = ephemeral ? EPHEMERAL_USER_RESOURCES : {};
    return {
        ...hub,
        auth,
        storage: hub.storage ?? (ephemeral ? "none" : "home"),
        culling: { ...(ephemeral ? CULLING_DEFAULTS.ephemeral : CULLING_DEFAULTS.regular), ...hub.culling },
        userResources: {
            cpu: { ...resourceDefaults.cpu, ...hub.userResources?.cpu },
            memory: { ...resourceDefaults.memory, ...hub.userResources?.memory },
        },
    };
}

export const hubSecretsSchema = z.strictObject({
    auth: z.strictObject({
        /** OAuth client secret (github, oidc, cilogon). */
        clientSecret: z.string().min(1).optional(),
        /** shared-password: the password every non-admin user logs in with. */
        password: z.string().min(1).optional(),
        /** shared-password: the password the adminUsers log in with. */
        adminPassword: z.string().min(1).optional(),
    }).optional(),
    database: z.strictObject({ url: z.string().regex(/^postgres(ql)?(\+\w+)?:\/\//, { error: "must be a postgresql:// URL" }) }).optional(),
    /** Secret z2jh values, merged over the public ones (for anything secret the escape hatch needs). */
    values: z.record(z.string(), z.unknown()).optional(),
});
export type HubSecretsSpec = z.infer<typeof hubSecretsSchema>;

/** The hub key names the hub's namespace and its helm release. */
export function checkHubKey(key: string, path: readonly PathPart[], problems: Problems): void {
    if (!DNS_LABEL.test(key) || key.length > MAX_HUB_KEY_LENGTH) {
        problems.add(path, "hub key is not a valid namespace name",
            `use lowercase letters, digits and '-', start with a letter, at most ${MAX_HUB_KEY_LENGTH} characters`);
        return;
    }
    if (RESERVED_NAMESPACE.test(key)) {
        problems.add(path, `${key} is a namespace Kubernetes or OpenShift keeps for itself`,
            "choose another hub key: default, openshift, kube-* and openshift-* are reserved");
    }
    if (key.length > HELM_RELEASE_NAME_MAX) {
        problems.add(path, `the hub key is also its helm release name, which helm limits to ${HELM_RELEASE_NAME_MAX} characters, and has ${key.length}`,
            "shorten the hub key");
    }
}

/** Every group a hub's profiles and their choices are restricted to: the hub must learn its users' groups at login. */
export function profileGroups(profiles: Readonly<Record<string, ProfileSpec>>): string[] {
    const groups = Object.values(profiles).flatMap(profile => {
        const image = profile.options?.image;
        return [
            ...profile.allowedGroups ?? [],
            ...typeof image?.allowUnlisted === "object" ? image.allowUnlisted.allowedGroups : [],
            ...Object.values(image?.choices ?? {}).flatMap(choice => choice.allowedGroups ?? []),
            ...Object.values(profile.options?.resources?.choices ?? {}).flatMap(choice => choice.allowedGroups ?? []),
        ];
    });
    return [...new Set(groups)].sort();
}
