/**
 * Pure composition of Zero to JupyterHub values from a hub's spec and what its platform provides.
 * No Pulumi resources are created here; platform values (bucket URLs, role ARNs) may be Outputs and are
 * placed as they are.
 *
 * Values are composed in two parts: `composeValues` gives the public values (shown in previews and checked by
 * the policy pack) and `composeSecretValues` the secret ones. The Hub merges the second over the first with
 * every secret leaf a Pulumi secret: the provider keeps secret exactly the paths that were secret in the
 * program's `values` (see scripts/engineModel/helmRelease.ts), so the state hides the secrets and still
 * shows every public value to reviewers. A values file would not: its contents land in the state in clear.
 */
import * as pulumi from "@pulumi/pulumi";
import { AuthSpec, CilogonIdpSpec, CpuSpec, HubSpec, MemorySpec, NodePoolSpec, OAUTH_AUTH_TYPES, profileGroups, ProfileSpec } from "./config";
import { DASK_GATEWAY_SERVICE, daskGatewayHubValues, daskGatewayUserEnv } from "./daskGatewayValues";
import { CloudMetadataAccess, UserVolume, USER_SERVICE_ACCOUNT } from "./platform";
import { poolPlacement, USER_TOLERATIONS } from "./poolPlacement";
import { deepMerge, PlainObject } from "./util";

/** Where the z2jh chart mounts static home storage in user pods; also the name of its volume. */
const HOME_VOLUME_NAME = "home";
export const PLATFORM_FILES_MOUNT_PATH = "/etc/jupyterhub/platform";
const PLATFORM_FILES_VOLUME = "fleet-platform-files";

/** Non-root defaults for user servers: jovyan's uid, and the users group for shared files. */
export const DEFAULT_USER_UID = 1000;
export const DEFAULT_USER_GID = 100;

/** User home storage as z2jh sees it. */
export type HomeValues =
    | {
        readonly type: "static";
        /** PVC in the hub's namespace. */
        readonly pvcName: string;
        /** Per-user directory inside the PVC; `{escaped_username}` keeps paths stable across KubeSpawner 7. */
        readonly subPath: string;
        /**
         * kubelet creates missing subPath directories as root, so a plain NFS export needs a root init
         * container to hand each new home to the user; EFS access points do that themselves.
         */
        readonly fixOwnership: boolean;
        /** The hub's shared directory within the PVC, which the same init container hands to the users. */
        readonly sharedSubPath?: string;
    }
    | {
        readonly type: "dynamic";
        readonly storageClass?: pulumi.Input<string>;
        readonly capacity: string;
    }
    /** `storage: none`: no home volume, the server's files go with it. */
    | { readonly type: "none" };

export interface ValuesInput {
    readonly hubKey: string;
    readonly hub: HubSpec;
    readonly home: HomeValues;
    /** Env for user servers from the platform (bucket URLs, endpoints); the hub's own `env` wins over it. */
    readonly platformEnv: Record<string, pulumi.Input<string>>;
    readonly cloudMetadata: CloudMetadataAccess;
    readonly userVolumes: readonly UserVolume[];
    /** Extra egress rules for user servers (singleuser.networkPolicy.egress). */
    readonly userEgress?: readonly PlainObject[];
    readonly userSecurity?: { readonly uid: number; readonly gid: number; readonly fsGid: number };
    /** Python for hub.extraConfig, name -> source. */
    readonly hubExtraConfig: Record<string, string>;
    /** Kubernetes Secret holding the platform's files for the hub process, if any. */
    readonly platformSecretName?: string;
    /**
     * The fleet created the cluster's pools with z2jh's purpose labels, so hub pods and user servers can be
     * held to their own pools; on an existing cluster the labels may be missing and z2jh's `prefer` stays.
     */
    readonly dedicatedNodePools: boolean;
    /** The node pools of the hub's cluster by key, which profiles name (none on an existing cluster). */
    readonly nodePools?: Readonly<Record<string, NodePoolSpec>>;
}

/** Secrets that end up in helm values; the Hub passes each as a Pulumi secret. */
export interface SecretValuesInput {
    readonly hub: HubSpec;
    readonly cookieSecret: pulumi.Input<string>;
    readonly proxySecretToken: pulumi.Input<string>;
    readonly cryptKey: pulumi.Input<string>;
    readonly clientSecret?: pulumi.Input<string>;
    /** shared-password: the users' password and the admins' password. */
    readonly password?: pulumi.Input<string>;
    readonly adminPassword?: pulumi.Input<string>;
    readonly databaseUrl?: pulumi.Input<string>;
    /** The token of the hub's dask-gateway service, when the hub has dask-gateway. */
    readonly daskGatewayToken?: pulumi.Input<string>;
    /** hubSecrets.<hub>.values: secret raw values, merged last (over the public values too). */
    readonly values?: PlainObject;
}

/**
 * Each auth type's `JupyterHub.authenticator_class` (an entry point name) and its traitlets section. The hub
 * image of z2jh 4.4 ships each: jupyterhub 5.5 (`shared-password`, `dummy`), oauthenticator 17.4 (`github`,
 * `generic-oauth`, `cilogon`) and jupyterhub-tmpauthenticator 1.0 (`tmp`) (z2jh `images/hub/requirements.txt`;
 * entry points in each package's pyproject.toml / setup.py).
 */
const AUTHENTICATORS: Record<AuthSpec["type"], { readonly entryPoint: string; readonly section: string }> = {
    github: { entryPoint: "github", section: "GitHubOAuthenticator" },
    oidc: { entryPoint: "generic-oauth", section: "GenericOAuthenticator" },
    cilogon: { entryPoint: "cilogon", section: "CILogonOAuthenticator" },
    "shared-password": { entryPoint: "shared-password", section: "SharedPasswordAuthenticator" },
    ephemeral: { entryPoint: "tmp", section: "TmpAuthenticator" },
    dummy: { entryPoint: "dummy", section: "DummyAuthenticator" },
};

function defined<T extends PlainObject>(object: T): T {
    return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0))) as T;
}

/** Whether the hub admits anyone its authenticator lets through, with no list of names, groups or domains. */
function allowsAll(auth: AuthSpec): boolean {
    switch (auth.type) {
        case "github": case "oidc": case "dummy":
            return auth.allowAll;
        // Per-provider allowAll lives in CILogonOAuthenticator.idps.
        case "cilogon":
            return false;
        // The password is the gate: any username may log in with it unless the hub lists its users.
        case "shared-password":
            return !auth.allowedUsers?.length;
        // TmpAuthenticator defaults allow_all to true; said here so no Authenticator-wide false can shut the hub.
        case "ephemeral":
            return true;
    }
}

/** `idps` of CILogonOAuthenticator (oauthenticator 17.4 renamed `allowed_idps`, which it still reads with a warning). */
function cilogonIdps(idps: Record<string, CilogonIdpSpec>): PlainObject {
    return Object.fromEntries(Object.entries(idps).map(([entityId, idp]) => {
        const derivation = idp.usernameDerivation;
        return [entityId, defined({
            username_derivation: defined({
                username_claim: derivation.usernameClaim,
                action: derivation.stripDomain ? "strip_idp_domain" : derivation.prefix ? "prefix" : undefined,
                domain: derivation.stripDomain,
                prefix: derivation.prefix,
            }),
            allowed_domains: idp.allowedDomains,
            allowed_domains_claim: idp.allowedDomainsClaim,
            allow_all: idp.allowAll || undefined,
            default: idp.default,
        })];
    }));
}

/** The authenticator's own section of hub.config, secrets aside (composeSecretValues adds those). */
function authenticatorSection(auth: AuthSpec, callback: string | undefined, groupProfiles: boolean): PlainObject | undefined {
    switch (auth.type) {
        case "github": {
            // Teams become the user's JupyterHub groups at login, for admin_groups and for profiles restricted to
            // groups: oauthenticator 17 keeps groups only with manage_groups, and fetches teams with
            // populate_teams_in_auth_state, which GitHub answers only with read:org (github.py
            // `update_auth_model`; components/hooks/githubTeams.ts names them org:team). Groups are read from the
            // login's auth state (oauth2.py `_apply_managed_groups`), so enable_auth_state is not needed for them.
            const teamGroups = Boolean(auth.adminTeams?.length || groupProfiles);
            return defined({
                client_id: auth.clientId,
                oauth_callback_url: callback,
                allowed_organizations: auth.allowedOrganizations,
                // Organisation and team membership is only visible with read:org.
                scope: auth.allowedOrganizations?.length || teamGroups ? ["read:org"] : undefined,
                populate_teams_in_auth_state: teamGroups || undefined,
                manage_groups: teamGroups || undefined,
                admin_groups: auth.adminTeams?.map(team => team.toLowerCase()),
            });
        }
        case "oidc": {
            const groups = auth.allowedGroups?.length || auth.adminGroups?.length || groupProfiles;
            return defined({
                client_id: auth.clientId,
                oauth_callback_url: callback,
                authorize_url: auth.authorizeUrl,
                token_url: auth.tokenUrl,
                userdata_url: auth.userdataUrl,
                username_claim: auth.usernameClaim,
                scope: auth.scopes,
                login_service: auth.loginService,
                allowed_groups: auth.allowedGroups,
                admin_groups: auth.adminGroups,
                // oauthenticator 17 refuses to start with group rules but without manage_groups
                // (oauth2.py `_requires_manage_groups`).
                manage_groups: groups ? true : undefined,
                auth_state_groups_key: groups ? `oauth_user.${auth.groupsClaim}` : undefined,
                // Token exchange and Vault need the user's tokens at spawn time; auth state keeps them, encrypted.
                enable_auth_state: true,
            });
        }
        case "cilogon":
            return defined({
                client_id: auth.clientId,
                oauth_callback_url: callback,
                idps: cilogonIdps(auth.allowedIdps),
            });
        case "shared-password": case "ephemeral": case "dummy":
            return undefined;
    }
}

function authValues(hub: HubSpec): PlainObject {
    const auth = hub.auth;
    const callback = hub.domain ? `https://${hub.domain}/hub/oauth_callback` : undefined;
    const { entryPoint, section } = AUTHENTICATORS[auth.type];
    const names = auth.type === "ephemeral" ? {} : { admin_users: auth.adminUsers, allowed_users: auth.allowedUsers };
    const own = authenticatorSection(auth, callback, profileGroups(hub.profiles).length > 0);
    return defined({
        JupyterHub: { authenticator_class: entryPoint },
        Authenticator: defined({ ...names, allow_all: allowsAll(auth) }),
        [section]: own,
    });
}

/** KubeSpawner's names for a server's CPU and memory. */
function resourceOverride(resources: { readonly cpu?: CpuSpec; readonly memory?: MemorySpec }): PlainObject {
    return defined({
        cpu_guarantee: resources.cpu?.guarantee, cpu_limit: resources.cpu?.limit,
        mem_guarantee: resources.memory?.guarantee, mem_limit: resources.memory?.limit,
    });
}

/** `allowed_groups` for the profile filter of components/hooks/profileGroups.ts, which removes the key before KubeSpawner sees it. */
const allowed = (groups: readonly string[] | undefined) => groups ? { allowed_groups: [...groups] } : {};

/** KubeSpawner `profile_options` (spawner.py `profile_list` help): an image choice and a resource choice. */
function profileOptions(profile: ProfileSpec): PlainObject | undefined {
    const image = profile.options?.image;
    const resources = profile.options?.resources;
    const unlisted = image?.allowUnlisted;
    return nonEmpty(defined({
        image: image && defined({
            display_name: image.displayName,
            choices: nonEmpty(Object.fromEntries(Object.entries(image.choices).map(([slug, choice]) => [slug, defined({
                display_name: choice.displayName, default: choice.default, ...allowed(choice.allowedGroups),
                kubespawner_override: { image: choice.image },
            })]))),
            unlisted_choice: unlisted ? {
                enabled: true,
                display_name: "Image (name:tag)",
                display_name_in_choices: "Other image…",
                validation_regex: "^\\S+:\\S+$",
                validation_message: "Give an image as name:tag, e.g. quay.io/pangeo/pangeo-notebook:2025.01.10",
                kubespawner_override: { image: "{value}" },
                ...allowed(typeof unlisted === "object" ? unlisted.allowedGroups : undefined),
            } : undefined,
        }),
        resources: resources && {
            display_name: resources.displayName,
            choices: Object.fromEntries(Object.entries(resources.choices).map(([slug, choice]) => [slug, defined({
                display_name: choice.displayName, default: choice.default, ...allowed(choice.allowedGroups),
                kubespawner_override: resourceOverride(choice),
            })])),
        },
    }));
}

/**
 * KubeSpawner `profile_list`. A profile on a pool selects the pool's nodes and tolerates their taints; its
 * toleration list replaces the one z2jh gives every user server (KubeSpawner overrides replace lists), so it
 * repeats z2jh's user tolerations. GPUs are an extended resource: the limit is also the request.
 */
function profileList(profiles: Record<string, ProfileSpec>, pools: Readonly<Record<string, NodePoolSpec>>): PlainObject[] {
    return Object.entries(profiles).map(([slug, profile]) => {
        const pool = profile.nodePool === undefined ? undefined : pools[profile.nodePool];
        const placement = pool && poolPlacement(profile.nodePool!, pool);
        const override = defined({
            image: profile.image, ...resourceOverride(profile),
            node_selector: placement?.nodeSelector,
            tolerations: placement ? [...new Map([...USER_TOLERATIONS, ...placement.tolerations].map(t => [JSON.stringify(t), t])).values()] : undefined,
            extra_resource_limits: profile.gpus ? { "nvidia.com/gpu": String(profile.gpus) } : undefined,
        });
        return defined({
            slug,
            display_name: profile.displayName,
            description: profile.description,
            default: profile.default,
            ...allowed(profile.allowedGroups),
            kubespawner_override: nonEmpty(override),
            profile_options: profileOptions(profile),
        });
    });
}

function storageValues(input: ValuesInput): PlainObject {
    const extraVolumes = input.userVolumes.map(v => ({ name: v.name, nfs: { server: v.server, path: v.path, readOnly: v.readOnly } }));
    const extraVolumeMounts = input.userVolumes.map(v => ({ name: v.name, mountPath: v.mountPath, readOnly: v.readOnly }));
    const home = input.home;
    const storage: PlainObject = home.type === "static"
        ? { type: "static", static: { pvcName: home.pvcName, subPath: home.subPath } }
        : home.type === "dynamic"
            ? defined({ type: "dynamic", capacity: home.capacity, dynamic: home.storageClass ? { storageClass: home.storageClass } : undefined })
            : { type: "none" };
    return defined({ ...storage, extraVolumes, extraVolumeMounts });
}

function ownershipInitContainer(home: HomeValues, uid: number, gid: number): PlainObject[] {
    if (home.type !== "static" || !home.fixOwnership) return [];
    // Only a new (root-owned) directory is handed over; existing ones are never touched.
    const handOver = (dir: string) => `[ "$(stat -c %u ${dir})" = "${uid}" ] || chown ${uid}:${gid} ${dir}`;
    const shared = home.sharedSubPath ? [{ name: HOME_VOLUME_NAME, mountPath: SHARED_OWNERSHIP_MOUNT, subPath: home.sharedSubPath }] : [];
    return [{
        name: "home-ownership",
        image: "busybox:1.36",
        command: ["sh", "-c", shared.length ? [handOver("/home/jovyan"), ...shared.map(m => handOver(m.mountPath))].map(step => `{ ${step}; }`).join(" && ")
            : handOver("/home/jovyan")],
        securityContext: { runAsUser: 0, runAsNonRoot: false, allowPrivilegeEscalation: false },
        volumeMounts: [{ name: HOME_VOLUME_NAME, mountPath: "/home/jovyan", subPath: home.subPath }, ...shared],
    }];
}
const SHARED_OWNERSHIP_MOUNT = "/fleet-shared";

/** The public z2jh values of a hub: platform facts and security defaults, then the hub's raw values on top. */
export function composeValues(input: ValuesInput): PlainObject {
    const { hub } = input;
    const uid = input.userSecurity?.uid ?? DEFAULT_USER_UID;
    const gid = input.userSecurity?.gid ?? DEFAULT_USER_GID;
    const dask = hub.daskGateway ? daskGatewayHubValues(input.hubKey) : undefined;
    const daskEnv = hub.daskGateway ? daskGatewayUserEnv(input.hubKey) : {};
    const env: Record<string, pulumi.Input<string>> = { ...input.platformEnv, ...daskEnv, ...hub.env };
    const userEgress = [...input.userEgress ?? [], ...dask?.userEgress ?? []];

    const hubSection: PlainObject = defined({
        config: authValues(hub),
        extraConfig: Object.keys(input.hubExtraConfig).length ? input.hubExtraConfig : undefined,
        db: hub.database ? { type: "postgres" } : undefined,
        services: dask?.services,
        loadRoles: dask?.loadRoles,
        networkPolicy: closedToCloudMetadata,
        extraVolumes: input.platformSecretName
            ? [{ name: PLATFORM_FILES_VOLUME, secret: { secretName: input.platformSecretName } }] : undefined,
        extraVolumeMounts: input.platformSecretName
            ? [{ name: PLATFORM_FILES_VOLUME, mountPath: PLATFORM_FILES_MOUNT_PATH, readOnly: true }] : undefined,
    });

    const singleuser: PlainObject = defined({
        serviceAccountName: USER_SERVICE_ACCOUNT,
        uid,
        fsGid: input.userSecurity?.fsGid ?? gid,
        allowPrivilegeEscalation: false,
        image: hub.image ? { name: hub.image.name, tag: hub.image.tag } : undefined,
        extraEnv: Object.keys(env).length ? Object.fromEntries(Object.keys(env).sort().map(k => [k, env[k]])) : undefined,
        storage: storageValues(input),
        initContainers: ownershipInitContainer(input.home, uid, gid),
        profileList: Object.keys(hub.profiles).length ? profileList(hub.profiles, input.nodePools ?? {}) : undefined,
        defaultUrl: hub.defaultUrl,
        cpu: nonEmpty(defined({ ...hub.userResources.cpu })),
        memory: nonEmpty(defined({ ...hub.userResources.memory })),
        networkPolicy: defined({
            enabled: true,
            // The chart refuses blockWithIptables together with an egress rule to the metadata server.
            egressAllowRules: { cloudMetadataServer: input.cloudMetadata === "allow" },
            egress: userEgress.length ? userEgress : undefined,
        }),
        cloudMetadata: { blockWithIptables: input.cloudMetadata === "block" },
    });

    const proxy: PlainObject = {
        chp: { networkPolicy: closedToCloudMetadata },
        traefik: { networkPolicy: closedToCloudMetadata },
    };
    if (hub.domain) {
        proxy.https = {
            enabled: true, type: "letsencrypt", hosts: [hub.domain],
            letsencrypt: { contactEmail: hub.contactEmail },
        };
    }

    const composed: PlainObject = defined({
        hub: hubSection,
        proxy,
        singleuser,
        cull: cullValues(hub),
        scheduling: input.dedicatedNodePools ? {
            // z2jh's default `prefer` lets user servers fill core nodes and starve the hub of memory.
            corePods: { nodeAffinity: { matchNodePurpose: "require" } },
            userPods: { nodeAffinity: { matchNodePurpose: "require" } },
        } : undefined,
    });
    return deepMerge(composed, hub.values);
}

function nonEmpty(object: PlainObject): PlainObject | undefined {
    return Object.keys(object).length ? object : undefined;
}

/**
 * jupyterhub-idle-culler's flags through z2jh's `cull` (jupyterhub_config.py passes timeout, every, maxAge
 * and users as --timeout, --cull-every, --max-age, --cull-users). A public hub's temporary users are removed
 * with their servers, or its database would keep every visitor ever seen.
 */
function cullValues(hub: HubSpec): PlainObject {
    const ephemeral = hub.auth.type === "ephemeral";
    const { idleTimeoutMinutes, maxAgeMinutes } = hub.culling;
    return defined({
        enabled: true,
        timeout: idleTimeoutMinutes * 60,
        // The culler looks this often; a tenth of the idle time, between one and five minutes.
        every: Math.min(300, Math.max(60, idleTimeoutMinutes * 6)),
        maxAge: maxAgeMinutes === undefined ? undefined : maxAgeMinutes * 60,
        users: ephemeral ? true : undefined,
    });
}

/**
 * The chart lets the hub and proxy pods reach the cloud metadata server by default (values.yaml
 * `egressAllowRules.cloudMetadataServer: true`); neither needs it on any platform (only user servers use
 * GKE's Workload Identity), and node credentials live behind it. DNS through it stays allowed.
 */
const closedToCloudMetadata: PlainObject = { enabled: true, egressAllowRules: { cloudMetadataServer: false } };

/**
 * The secret z2jh values: generated secrets, the auth type's secrets (OAuth client secret, shared passwords),
 * database URL, and hubSecrets.<hub>.values.
 */
export function composeSecretValues(input: SecretValuesInput): PlainObject {
    const auth = input.hub.auth;
    const section = AUTHENTICATORS[auth.type].section;
    const authSecrets = auth.type === "shared-password"
        ? defined({ user_password: input.password, admin_password: input.adminPassword })
        : OAUTH_AUTH_TYPES.includes(auth.type) ? defined({ client_secret: input.clientSecret }) : {};
    const config: PlainObject = defined({ CryptKeeper: { keys: [input.cryptKey] }, [section]: nonEmpty(authSecrets) });
    const values: PlainObject = {
        hub: defined({
            cookieSecret: input.cookieSecret, config, db: input.databaseUrl ? { url: input.databaseUrl } : undefined,
            services: input.daskGatewayToken === undefined ? undefined : { [DASK_GATEWAY_SERVICE]: { apiToken: input.daskGatewayToken } },
        }),
        proxy: { secretToken: input.proxySecretToken },
    };
    return deepMerge(values, input.values);
}
