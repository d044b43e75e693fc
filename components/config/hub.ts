/** Hubs: the hub schema (shared by hubDefaults), its auth, cloud access and profiles, and hubSecrets. */
import { z } from "zod";
import { DNS_LABEL, ENV_NAME, EXACT_SEMVER, MAX_HUB_KEY_LENGTH } from "./names";

export const DEFAULT_CHART_VERSION = "4.4.2";

const userList = z.array(z.string().min(1));

export const authSchemas = {
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
        /**
         * The operator's statement that `usernameClaim` holds the user's GitHub login (an identity provider that
         * brokers GitHub), which OVH accessGroups, keyed by GitHub login, need.
         */
        usernamesAreGithubLogins: z.boolean().optional(),
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
    /** The key this hub had before a rename, so its resources (namespace, homes, identity) are kept as aliases. */
    renamedFrom: z.string()
        .regex(DNS_LABEL, { error: "is not a valid hub key (give the hub's previous key, as it was written under hubs)" })
        .max(MAX_HUB_KEY_LENGTH).optional(),
});
export type HubSpec = Omit<z.infer<typeof hubSchema>, "auth"> & { auth: AuthSpec };

export const hubSecretsSchema = z.strictObject({
    auth: z.strictObject({ clientSecret: z.string().min(1) }).optional(),
    database: z.strictObject({ url: z.string().regex(/^postgres(ql)?(\+\w+)?:\/\//, { error: "must be a postgresql:// URL" }) }).optional(),
    /** Secret z2jh values, merged over the public ones (for anything secret the escape hatch needs). */
    values: z.record(z.string(), z.unknown()).optional(),
});
export type HubSecretsSpec = z.infer<typeof hubSecretsSchema>;
