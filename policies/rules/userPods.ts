/**
 * User servers keep the fleet's security defaults whatever a hub's raw `values` (the escape hatch, from
 * `hubs.<hub>.values` or `hubDefaults.values`) say: they run as a non-root user without privileges, in
 * their own network, process and IPC namespaces, and see only their own home directory.
 *
 * KubeSpawner takes its settings from three places of z2jh values, and every rule here reads all three:
 * z2jh's passthrough keys under `singleuser` (e.g. `singleuser.uid` -> `KubeSpawner.uid`), KubeSpawner's
 * own trait names under `hub.config.KubeSpawner` (loaded after them, so they win), and each profile's
 * `kubespawner_override` (applied per user at spawn). Python in `hub.extraConfig` can change anything and
 * is beyond a values check.
 *
 * A hub that needs an exception is listed in the rule's `allowHubs` in `policies/config/<stack>.json`, so
 * the exception is reviewed in a pull request like any other change.
 */
import { ResourceFacts, at, resourceRule, stackOf } from "./common";
import { isHubRelease, releaseLabel } from "./z2jh";

export interface AllowHubsConfig {
    /** Hubs (release names) whose exception was reviewed. */
    readonly allowHubs: string[];
}

const ALLOW_HUBS_SCHEMA = { properties: { allowHubs: { type: "array" as const, items: { type: "string" as const }, default: [] } } };

/** The KubeSpawner traits these rules read. */
type Trait = "uid" | "privileged" | "allow_privilege_escalation" | "container_security_context" | "pod_security_context"
    | "extra_pod_config" | "extra_container_config" | "extra_containers" | "init_containers" | "volumes" | "volume_mounts";

const TRAITS: readonly Trait[] = [
    "uid", "privileged", "allow_privilege_escalation", "container_security_context", "pod_security_context", "extra_pod_config",
    "extra_container_config", "extra_containers", "init_containers", "volumes", "volume_mounts",
];

/** z2jh's passthrough keys for those traits (z2jh `jupyterhub_config.py`); the others have none. */
const SINGLEUSER_KEYS: Partial<Record<Trait, string>> = {
    uid: "singleuser.uid",
    allow_privilege_escalation: "singleuser.allowPrivilegeEscalation",
    extra_pod_config: "singleuser.extraPodConfig",
    extra_containers: "singleuser.extraContainers",
    init_containers: "singleuser.initContainers",
    volumes: "singleuser.storage.extraVolumes",
    volume_mounts: "singleuser.storage.extraVolumeMounts",
};

/** One KubeSpawner setting found in the values, with the key path an operator edits. */
interface Setting {
    readonly trait: Trait;
    readonly path: string;
    readonly value: unknown;
}

function isObject(value: unknown): value is Record<string, any> {
    return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Settings present (set, even to null) in a map keyed by trait name. */
function traitSettings(traits: unknown, path: string): Setting[] {
    if (!isObject(traits)) return [];
    return TRAITS.filter(trait => trait in traits).map(trait => ({ trait, path: `${path}.${trait}`, value: traits[trait] }));
}

/** Every profile's overrides: the profile's own and each option choice's (KubeSpawner `profile_list`). */
function profileOverrides(values: unknown): Setting[] {
    const profiles: unknown[] = Array.isArray(at(values, "singleuser.profileList")) ? at(values, "singleuser.profileList") : [];
    return profiles.flatMap((profile, i) => {
        const base = `singleuser.profileList[${i}]`;
        const options = isObject(profile) && isObject(profile.profile_options) ? Object.entries(profile.profile_options) : [];
        return [
            ...traitSettings(isObject(profile) ? profile.kubespawner_override : undefined, `${base}.kubespawner_override`),
            ...options.flatMap(([name, option]) => [
                ...Object.entries(isObject(option) && isObject(option.choices) ? option.choices : {}).flatMap(([choice, spec]) =>
                    traitSettings(isObject(spec) ? spec.kubespawner_override : undefined,
                        `${base}.profile_options.${name}.choices.${choice}.kubespawner_override`)),
                ...traitSettings(isObject(option) && isObject(option.unlisted_choice) ? option.unlisted_choice.kubespawner_override : undefined,
                    `${base}.profile_options.${name}.unlisted_choice.kubespawner_override`),
            ]),
        ];
    });
}

/** Every KubeSpawner setting of the values that these rules read. */
export function spawnerSettings(values: unknown): Setting[] {
    const singleuser = Object.entries(SINGLEUSER_KEYS).flatMap(([trait, path]) => {
        const parent = at(values, path!.slice(0, path!.lastIndexOf(".")));
        const key = path!.slice(path!.lastIndexOf(".") + 1);
        return isObject(parent) && key in parent ? [{ trait: trait as Trait, path: path!, value: parent[key] }] : [];
    });
    return [...singleuser, ...traitSettings(at(values, "hub.config.KubeSpawner"), "hub.config.KubeSpawner"), ...profileOverrides(values)];
}

/** The containers of the settings that add containers to user pods, with their paths. */
function containers(settings: readonly Setting[]): { path: string; container: Record<string, any>; init: boolean }[] {
    return settings
        .filter(s => (s.trait === "extra_containers" || s.trait === "init_containers") && Array.isArray(s.value))
        .flatMap(s => (s.value as unknown[]).map((container, i) => ({
            path: `${s.path}[${i}]${isObject(container) && container.name ? ` (${container.name})` : ""}`,
            container: isObject(container) ? container : {}, init: s.trait === "init_containers",
        })));
}

/** The fleet's own root init container (components/z2jhValues.ts): hands a new, root-owned NFS home to the user. */
const HOME_OWNERSHIP_COMMAND = /^\[ "\$\(stat -c %u \/home\/jovyan\)" = "\d+" \] \|\| chown \d+:\d+ \/home\/jovyan$/;

/**
 * Whether a container is exactly the fleet's `home-ownership` init container: the one root container the
 * README documents. The name alone is not enough, since the command is what runs as root; a change to
 * that container in the program must be made here too.
 */
export function isFleetHomeOwnership(container: Record<string, any>, init: boolean): boolean {
    const command = container.command;
    const context = container.securityContext;
    return init && container.name === "home-ownership"
        && Array.isArray(command) && command.length === 3 && command[0] === "sh" && command[1] === "-c" && HOME_OWNERSHIP_COMMAND.test(command[2])
        && isObject(context) && Object.keys(context).sort().join() === "allowPrivilegeEscalation,runAsNonRoot,runAsUser"
        && context.runAsUser === 0 && context.runAsNonRoot === false && context.allowPrivilegeEscalation === false;
}

/** What a security context allows that a user server must not: root, and for containers, privileges. */
function securityContextProblems(context: unknown, path: string, kind: "pod" | "container"): string[] {
    if (!isObject(context)) return [];
    const problems: string[] = [];
    if (context.runAsUser === 0) problems.push(`${path}.runAsUser: 0`);
    if (context.runAsNonRoot === false) problems.push(`${path}.runAsNonRoot: false`);
    if (kind === "container") {
        if (context.privileged === true) problems.push(`${path}.privileged: true`);
        if (context.allowPrivilegeEscalation === true) problems.push(`${path}.allowPrivilegeEscalation: true`);
        const added: unknown[] = Array.isArray(context.capabilities?.add) ? context.capabilities.add : [];
        const powerful = added.filter(capability => capability === "ALL" || capability === "SYS_ADMIN");
        if (powerful.length > 0) problems.push(`${path}.capabilities.add: ${powerful.join(", ")}`);
    }
    return problems;
}

/** Settings that run user servers (or containers beside them) as root or with privileges. */
export function rootProblems(values: unknown): string[] {
    const settings = spawnerSettings(values);
    const problems = settings.flatMap(({ trait, path, value }): string[] => {
        switch (trait) {
            case "uid":
                // KubeSpawner.uid None runs the image's USER, which is root in many images.
                return value === 0 ? [`${path}: 0`] : value === null ? [`${path}: null (the image's user, root in many images)`] : [];
            case "privileged":
            case "allow_privilege_escalation":
                return value === true ? [`${path}: true`] : [];
            case "pod_security_context":
                return securityContextProblems(value, path, "pod");
            case "container_security_context":
                return securityContextProblems(value, path, "container");
            case "extra_pod_config":
                return securityContextProblems(isObject(value) ? value.securityContext : undefined, `${path}.securityContext`, "pod");
            case "extra_container_config":
                return securityContextProblems(isObject(value) ? value.securityContext : undefined, `${path}.securityContext`, "container");
            default:
                return [];
        }
    });
    for (const { path, container, init } of containers(settings)) {
        if (!isFleetHomeOwnership(container, init)) {
            problems.push(...securityContextProblems(container.securityContext, `${path}.securityContext`, "container"));
        }
    }
    return problems;
}

const HOST_NAMESPACES = ["hostNetwork", "hostPID", "hostIPC"];

/** `hostNetwork` / `hostPID` / `hostIPC: true` anywhere in an extra pod config. */
export function hostNamespaceProblems(values: unknown): string[] {
    const find = (node: unknown, path: string): string[] => {
        if (Array.isArray(node)) return node.flatMap((item, i) => find(item, `${path}[${i}]`));
        if (!isObject(node)) return [];
        return Object.entries(node).flatMap(([key, item]) =>
            HOST_NAMESPACES.includes(key) && item === true ? [`${path}.${key}: true`] : find(item, `${path}.${key}`));
    };
    return spawnerSettings(values).filter(s => s.trait === "extra_pod_config").flatMap(s => find(s.value, s.path));
}

/** KubeSpawner's per-user placeholders; `{escaped_username}` keeps paths stable across KubeSpawner 7. */
const USER_DIRECTORIES = ["{escaped_username}", "{username}"];

/** Whether a subPath is one user's directory: its last component is the user's name, and it never climbs up. */
export function isUserDirectory(subPath: unknown): boolean {
    if (typeof subPath !== "string") return false;
    const parts = subPath.split("/").filter(part => part !== "" && part !== ".");
    return parts.length > 0 && !parts.includes("..") && USER_DIRECTORIES.includes(parts[parts.length - 1]);
}

/** z2jh's name for the static home volume (its `singleuser.storage.static` template). */
const Z2JH_HOME_VOLUME = "home";
/** z2jh's defaults for static storage (`values.yaml`). */
const Z2JH_STATIC_DEFAULTS = { subPath: "{username}" };

/** Mounts of the shared home claim outside the user's own directory. */
export function homeProblems(values: unknown): string[] {
    if (at(values, "singleuser.storage.type") !== "static") return [];
    const problems: string[] = [];
    const subPath = at(values, "singleuser.storage.static.subPath") ?? Z2JH_STATIC_DEFAULTS.subPath;
    if (!isUserDirectory(subPath)) problems.push(`singleuser.storage.static.subPath: ${JSON.stringify(subPath)}`);
    const claim = at(values, "singleuser.storage.static.pvcName");
    const settings = spawnerSettings(values);
    const homeVolumes = new Set([Z2JH_HOME_VOLUME, ...settings
        .filter(s => s.trait === "volumes" && Array.isArray(s.value))
        .flatMap(s => s.value as unknown[])
        .filter(volume => isObject(volume) && claim !== undefined && volume.persistentVolumeClaim?.claimName === claim)
        .map(volume => (volume as Record<string, any>).name)]);
    const mounts = [
        ...settings.filter(s => s.trait === "volume_mounts" && Array.isArray(s.value)).flatMap(s =>
            (s.value as unknown[]).map((mount, i) => ({ path: `${s.path}[${i}]`, mount }))),
        ...settings.filter(s => s.trait === "extra_container_config" && isObject(s.value) && Array.isArray(s.value.volumeMounts)).flatMap(s =>
            ((s.value as Record<string, any>).volumeMounts as unknown[]).map((mount, i) => ({ path: `${s.path}.volumeMounts[${i}]`, mount }))),
        ...containers(settings).filter(c => Array.isArray(c.container.volumeMounts)).flatMap(c =>
            (c.container.volumeMounts as unknown[]).map((mount, i) => ({ path: `${c.path}.volumeMounts[${i}]`, mount }))),
    ];
    for (const { path, mount } of mounts) {
        if (!isObject(mount) || !homeVolumes.has(mount.name)) continue;
        if (mount.subPathExpr !== undefined) problems.push(`${path}.subPathExpr: ${JSON.stringify(mount.subPathExpr)} on the home claim`);
        else if (!isUserDirectory(mount.subPath)) problems.push(`${path} mounts the home claim at subPath ${JSON.stringify(mount.subPath ?? "")}`);
    }
    return problems;
}

/** A rule refusing what `problems` finds in a hub release's values, unless the hub is in its `allowHubs`. */
function userPodRule(definition: { name: string; description: string; risk: string; fix: string; problems: (values: unknown) => string[] }) {
    return resourceRule<AllowHubsConfig>({
        name: definition.name,
        description: definition.description,
        enforcementLevel: "mandatory",
        configSchema: ALLOW_HUBS_SCHEMA,
        check: (resource: ResourceFacts, config) => {
            if (!isHubRelease(resource)) return [];
            const hub = resource.props.name;
            if ((config.allowHubs ?? []).includes(hub)) return [];
            const problems = definition.problems(resource.props.values);
            if (problems.length === 0) return [];
            return [`${releaseLabel(resource)} ${definition.risk}: ${problems.join("; ")}. ${definition.fix} ` +
                `(hubs.${hub ?? "<hub>"}.values or hubDefaults.values), or if the hub needs it, add "${hub}" to allowHubs of ` +
                `${definition.name} in policies/config/${stackOf(resource.urn)}.json`];
        },
    });
}

export const z2jhUserPodsNonRoot = userPodRule({
    name: "z2jh-user-pods-non-root",
    description: "User servers and the containers beside them run as a non-root user, unprivileged, without privilege escalation " +
        "(the fleet's own home-ownership init container excepted).",
    risk: "runs user pods as root or with privileges, so a user can take over the node",
    fix: "Remove these settings from the hub's values",
    problems: rootProblems,
});

export const z2jhUserPodsHostIsolated = userPodRule({
    name: "z2jh-user-pods-host-isolated",
    description: "User servers do not share the node's network, process or IPC namespaces.",
    risk: "puts user pods in the node's namespaces, past every network policy and beside the node's processes",
    fix: "Remove these settings from the hub's values",
    problems: hostNamespaceProblems,
});

export const z2jhHomePerUser = userPodRule({
    name: "z2jh-home-per-user",
    description: "Users mount only their own directory of a shared home volume (a subPath ending in {escaped_username}).",
    risk: "mounts the shared home volume outside the user's own directory, so users can read others' homes",
    fix: `Mount only the user's own directory (a subPath ending in ${USER_DIRECTORIES.join(" or ")})`,
    problems: homeProblems,
});
