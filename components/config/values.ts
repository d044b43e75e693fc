/** Rules for a hub's raw z2jh `values`, the escape hatch: no secrets, and no undoing of typed fields. */
import { isPlainObject, PlainObject } from "../util";
import { PathPart, Problems, secretCommand } from "./errors";
import { AuthSpec, HubSpec, profileGroups } from "./hub";

/** Where a hub's merged values come from: its own `values` over `hubDefaults.values`. */
export interface ValuesSources {
    readonly hubKey: string;
    /** hubs.<key>.values as written. */
    readonly own: unknown;
    /** hubDefaults.values as written. */
    readonly defaults: unknown;
}

/** How many leading parts of `path` are set in `tree`. */
function depthSet(tree: unknown, path: readonly PathPart[]): number {
    let depth = 0;
    for (const part of path) {
        if (!(isPlainObject(tree) || Array.isArray(tree)) || (tree as Record<PathPart, unknown>)[part] === undefined) break;
        tree = (tree as Record<PathPart, unknown>)[part];
        depth++;
    }
    return depth;
}

/**
 * The config path that sets `valuesPath` of a hub's merged values, so a problem names the line to edit: the
 * hub's own values when they set it, hubDefaults.values when only they do, and for a key nobody set (a
 * missing field) whichever of them set more of the path, the hub's values on a tie.
 */
export function valuesOrigin(sources: ValuesSources, valuesPath: readonly PathPart[]): PathPart[] {
    const own = depthSet(sources.own, valuesPath);
    const defaults = depthSet(sources.defaults, valuesPath);
    return own === valuesPath.length || own >= defaults
        ? ["hubs", sources.hubKey, "values", ...valuesPath] : ["hubDefaults", "values", ...valuesPath];
}

const SECRET_VALUE_KEYS = /^(client_secret|clientSecret|cookieSecret|cookie_secret|secretToken|secret_token|password|api_token|apiToken|keys|url)$/;

/** Paths in raw values whose key names a secret (a database URL only under `db`). */
function secretLookingPaths(values: unknown, at: PathPart[] = []): PathPart[][] {
    if (!isPlainObject(values)) return [];
    return Object.entries(values).flatMap(([key, value]) => {
        const inDb = at[at.length - 1] === "db";
        if (SECRET_VALUE_KEYS.test(key) && (key !== "url" || inDb) && value !== null && value !== undefined && value !== "") {
            return [[...at, key]];
        }
        return secretLookingPaths(value, [...at, key]);
    });
}

/**
 * Raw values are public (they show in previews and state); secrets there belong in hubSecrets.<hub>.values.
 * A secret in hubDefaults.values is reported there once, with the commands that move it to every hub that
 * inherits it; one in a hub's own values at that hub.
 */
export function checkValuesForSecrets(defaults: unknown, hubs: Readonly<Record<string, unknown>>, problems: Problems): void {
    const what = "looks like a secret in plain config (it would show in previews, state and git)";
    for (const path of secretLookingPaths(defaults)) {
        const dotted = path.join(".");
        const inheritors = Object.keys(hubs).filter(hubKey => depthSet(isPlainObject(hubs[hubKey]) ? hubs[hubKey].values : undefined, path) < path.length);
        problems.add(["hubDefaults", "values", ...path], what, [`move it: pulumi config rm --path 'hubDefaults.values.${dotted}'`,
            ...inheritors.map(hubKey => secretCommand(`hubSecrets.${hubKey}.values.${dotted}`, "<value>"))].join(" && "));
    }
    for (const [hubKey, hub] of Object.entries(hubs)) {
        for (const path of secretLookingPaths(isPlainObject(hub) ? hub.values : undefined)) {
            const dotted = path.join(".");
            problems.add(["hubs", hubKey, "values", ...path], what,
                `move it: pulumi config rm --path 'hubs.${hubKey}.values.${dotted}' && ${secretCommand(`hubSecrets.${hubKey}.values.${dotted}`, "<value>")}`);
        }
    }
}

type FieldOf = (hub: HubSpec) => string | undefined;

/** GitHub teams are fetched as groups for admin teams and for profiles restricted to groups. */
const teamsField: FieldOf = hub => hub.auth.type === "github" && hub.auth.adminTeams?.length ? "auth.adminTeams"
    : profileGroups(hub.profiles).length ? "profiles (allowedGroups)" : undefined;

/** The authenticator section z2jhValues.ts writes for each auth type, and the hub field behind each key. */
const AUTH_SECTION_FIELDS: Partial<Record<AuthSpec["type"], { readonly section: string; readonly keys: Record<string, FieldOf> }>> = {
    github: {
        section: "GitHubOAuthenticator",
        keys: {
            client_id: () => "auth.clientId",
            oauth_callback_url: hub => hub.domain ? "domain" : undefined,
            allowed_organizations: () => "auth.allowedOrganizations",
            scope: () => "auth.allowedOrganizations",
            populate_teams_in_auth_state: teamsField,
            manage_groups: teamsField,
            admin_groups: () => "auth.adminTeams",
        },
    },
    oidc: {
        section: "GenericOAuthenticator",
        keys: {
            client_id: () => "auth.clientId",
            oauth_callback_url: hub => hub.domain ? "domain" : undefined,
            authorize_url: () => "auth.authorizeUrl",
            token_url: () => "auth.tokenUrl",
            userdata_url: () => "auth.userdataUrl",
            username_claim: () => "auth.usernameClaim",
            scope: () => "auth.scopes",
            login_service: () => "auth.loginService",
            allowed_groups: () => "auth.allowedGroups",
            admin_groups: () => "auth.adminGroups",
            manage_groups: hub => profileGroups(hub.profiles).length ? "profiles (allowedGroups)" : "auth.allowedGroups",
            auth_state_groups_key: () => "auth.groupsClaim",
            enable_auth_state: () => "auth.type",
        },
    },
    cilogon: {
        section: "CILogonOAuthenticator",
        keys: {
            client_id: () => "auth.clientId",
            oauth_callback_url: hub => hub.domain ? "domain" : undefined,
            idps: () => "auth.allowedIdps",
            allowed_idps: () => "auth.allowedIdps",
        },
    },
};

/** The variables components/daskGatewayValues.ts `daskGatewayUserEnv` sets. */
const DASK_GATEWAY_ENV = ["DASK_GATEWAY__ADDRESS", "DASK_GATEWAY__PROXY_ADDRESS", "DASK_GATEWAY__PUBLIC_ADDRESS", "DASK_GATEWAY__AUTH__TYPE"];

/** The hub field behind Authenticator.allow_all for each auth type (z2jhValues.ts allowsAll). */
const ALLOW_ALL_FIELD: Record<AuthSpec["type"], string> = {
    github: "auth.allowAll", oidc: "auth.allowAll", dummy: "auth.allowAll",
    cilogon: "auth.allowedIdps", "shared-password": "auth.allowedUsers", ephemeral: "auth.type",
};

/**
 * Values paths a typed hub field sets (components/z2jhValues.ts), each with the field that owns it for this
 * hub; `given` is the hub as written (hubDefaults merged), to tell a field set from a defaulted one. Raw values
 * are merged last, so setting one of these would silently undo the typed field and every check made on it.
 */
function typedValuePaths(hub: HubSpec, given: PlainObject): [path: string[], field: string][] {
    const set = (field: string) => field in given ? field : undefined;
    // A public hub names no users, and its culling, storage and resources are guarded by its own rule
    // (auth.ts checkPublicHub).
    const regular = hub.auth.type !== "ephemeral";
    const userResources = isPlainObject(given.userResources) ? given.userResources : {};
    const owned: [string, string | undefined][] = [
        ["hub.config.JupyterHub.authenticator_class", "auth.type"],
        ["hub.config.Authenticator.admin_users", regular ? "auth.adminUsers" : undefined],
        ["hub.config.Authenticator.allowed_users", regular ? "auth.allowedUsers" : undefined],
        ["hub.config.Authenticator.allow_all", ALLOW_ALL_FIELD[hub.auth.type]],
        ["hub.db", hub.database && "database"],
        ["singleuser.image", hub.image && "image"],
        ["singleuser.profileList", Object.keys(hub.profiles).length ? "profiles" : undefined],
        ["singleuser.defaultUrl", set("defaultUrl")],
        ["singleuser.storage.type", regular ? set("storage") : undefined],
        // hooks/sharedDirectories.ts SHARED_DIRECTORIES_HOOK_KEY; a raw entry of that key would replace the hook.
        ["hub.extraConfig.65-shared-directories", hub.sharedDirectory ? "sharedDirectory" : hub.adminHomeAccess ? "adminHomeAccess" : undefined],
        ["singleuser.cpu", regular && "cpu" in userResources ? "userResources.cpu" : undefined],
        ["singleuser.memory", regular && "memory" in userResources ? "userResources.memory" : undefined],
        ["cull", regular ? set("culling") : undefined],
        ["proxy.https.enabled", hub.domain && "domain"],
        ["proxy.https.type", hub.domain && "domain"],
        ["proxy.https.hosts", hub.domain && "domain"],
        ["proxy.https.letsencrypt.contactEmail", hub.domain && "contactEmail"],
        ["hub.services.dask-gateway", hub.daskGateway && "daskGateway"],
        ["hub.loadRoles.user", hub.daskGateway && "daskGateway"],
        ["hub.loadRoles.server", hub.daskGateway && "daskGateway"],
        // A list in raw values replaces the fleet's whole list.
        ["singleuser.networkPolicy.egress", hub.daskGateway && "daskGateway"],
        ...(hub.daskGateway ? DASK_GATEWAY_ENV : []).map(name => [`singleuser.extraEnv.${name}`, "daskGateway"] as [string, string]),
        ...Object.keys(hub.env).map(name => [`singleuser.extraEnv.${name}`, `env.${name}`] as [string, string]),
        ...Object.keys(hub.bucketEnv).map(name => [`singleuser.extraEnv.${name}`, `bucketEnv.${name}`] as [string, string]),
    ];
    const auth = AUTH_SECTION_FIELDS[hub.auth.type];
    for (const [key, field] of Object.entries(auth?.keys ?? {})) {
        owned.push([`hub.config.${auth!.section}.${key}`, field(hub)]);
    }
    return owned.filter((entry): entry is [string, string] => entry[1] !== undefined).map(([path, field]) => [path.split("."), field]);
}

/**
 * Values paths that keep a hub's metrics readable by the cluster's Prometheus only, on a cluster with monitoring
 * (components/monitoring.ts hubMetricsValues and hubMetricsSecretValues): the `prometheus` service and its
 * read:metrics role, the network policy rule admitting the scraper (a raw list replaces the whole list), the
 * Service's scrape annotation off, and JupyterHub's `authenticate_prometheus`, whose default (on) keeps
 * /hub/metrics closed through the proxy.
 */
const METRICS_VALUE_PATHS: readonly (readonly string[])[] = [
    ["hub", "config", "JupyterHub", "authenticate_prometheus"],
    ["hub", "services", "prometheus"],
    ["hub", "loadRoles", "prometheus-metrics"],
    ["hub", "networkPolicy", "ingress"],
    ["hub", "service", "annotations", "prometheus.io/scrape"],
];

/**
 * Refuses raw values (hubDefaults.values merged with hubs.<key>.values) that set what a typed field owns;
 * `monitoring` is the config path of the hub's cluster's monitoring when it is on (`clusters.<key>.monitoring`).
 */
export function checkTypedFieldsKept(hub: HubSpec, given: PlainObject, sources: ValuesSources, problems: Problems, monitoring?: string): void {
    const isSet = (path: readonly string[]) => {
        let value: unknown = hub.values;
        for (const part of path) value = isPlainObject(value) ? value[part] : undefined;
        return value !== undefined;
    };
    for (const [path, field] of typedValuePaths(hub, given)) {
        if (!isSet(path)) continue;
        problems.add(valuesOrigin(sources, path), `would override what the hub's ${field} sets`,
            `set ${field} instead and remove this value: raw values are merged last and would silently undo it`);
    }
    for (const path of monitoring === undefined ? [] : METRICS_VALUE_PATHS.filter(isSet)) {
        problems.add(valuesOrigin(sources, path), `would override what ${monitoring} sets so that only Prometheus reads the hub's metrics`,
            `remove this value, or turn monitoring off (${monitoring}.enabled: false): raw values are merged last and would silently undo it`);
    }
    const singleuser = isPlainObject(hub.values.singleuser) ? hub.values.singleuser : {};
    if (singleuser.serviceAccountName !== undefined) {
        problems.add(valuesOrigin(sources, ["singleuser", "serviceAccountName"]),
            "would replace the fleet's user-sa service account, which carries the hub's cloud identity",
            "remove it; grant cloud access with cloudAccess");
    }
    const extraEnv = singleuser.extraEnv;
    if (extraEnv !== undefined && !isPlainObject(extraEnv)) {
        problems.add(valuesOrigin(sources, ["singleuser", "extraEnv"]),
            "as a list it replaces every variable the fleet sets: env, bucketEnv and the platform's",
            "write it as a map of name to value, or move the variables to env");
    }
}
