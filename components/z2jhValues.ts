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
import { AuthSpec, CilogonIdpSpec, HubSpec, OAUTH_AUTH_TYPES, ProfileSpec } from "./config";
import { CloudMetadataAccess, UserVolume, USER_SERVICE_ACCOUNT } from "./platform";
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
function authenticatorSection(auth: AuthSpec, callback: string | undefined): PlainObject | undefined {
    switch (auth.type) {
        case "github": {
            const teamAdmins = auth.adminTeams?.length ? {
                // oauthenticator 17: admin_groups needs manage_groups; the groups come from the user's teams,
                // which GitHub lists only with read:org (components/hooks/githubTeams.ts names them org:team).
                populate_teams_in_auth_state: true,
                manage_groups: true,
                admin_groups: auth.adminTeams.map(team => team.toLowerCase()),
            } : {};
            return defined({
                client_id: auth.clientId,
                oauth_callback_url: callback,
                allowed_organizations: auth.allowedOrganizations,
                // Organisation and team membership is only visible with read:org.
                scope: auth.allowedOrganizations?.length || auth.adminTeams?.length ? ["read:org"] : undefined,
                ...teamAdmins,
            });
        }
        case "oidc": {
            const groups = auth.allowedGroups?.length || auth.adminGroups?.length;
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
    const own = authenticatorSection(auth, callback);
    return defined({
        JupyterHub: { authenticator_class: entryPoint },
        Authenticator: defined({ ...names, allow_all: allowsAll(auth) }),
        [section]: own,
    });
}

function profileList(profiles: Record<string, ProfileSpec>): PlainObject[] {
    return Object.entries(profiles).map(([slug, profile]) => {
        const override = defined({
            image: profile.image, cpu_guarantee: profile.cpu?.guarantee, cpu_limit: profile.cpu?.limit,
            mem_guarantee: profile.memory?.guarantee, mem_limit: profile.memory?.limit, node_selector: profile.nodeSelector,
        });
        return defined({
            slug,
            display_name: profile.displayName,
            description: profile.description,
            default: profile.default,
            kubespawner_override: Object.keys(override).length ? override : undefined,
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
    const env: Record<string, pulumi.Input<string>> = { ...input.platformEnv, ...hub.env };

    const hubSection: PlainObject = defined({
        config: authValues(hub),
        extraConfig: Object.keys(input.hubExtraConfig).length ? input.hubExtraConfig : undefined,
        db: hub.database ? { type: "postgres" } : undefined,
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
        profileList: Object.keys(hub.profiles).length ? profileList(hub.profiles) : undefined,
        defaultUrl: hub.defaultUrl,
        cpu: nonEmpty(defined({ ...hub.userResources.cpu })),
        memory: nonEmpty(defined({ ...hub.userResources.memory })),
        networkPolicy: defined({
            enabled: true,
            // The chart refuses blockWithIptables together with an egress rule to the metadata server.
            egressAllowRules: { cloudMetadataServer: input.cloudMetadata === "allow" },
            egress: input.userEgress?.length ? [...input.userEgress] : undefined,
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
        hub: defined({ cookieSecret: input.cookieSecret, config, db: input.databaseUrl ? { url: input.databaseUrl } : undefined }),
        proxy: { secretToken: input.proxySecretToken },
    };
    return deepMerge(values, input.values);
}
