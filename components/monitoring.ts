/**
 * Monitoring of one cluster: Prometheus and Grafana in the `monitoring` namespace, on the core pool, with
 * their data on a retaining storage class. Prometheus scrapes every hub's /hub/metrics with a token of its
 * own per hub, and the user pods' usage through cAdvisor and kube-state-metrics; Grafana reads it.
 *
 * Charts as 2i2c runs them (2i2c-org/infrastructure helm-charts/support/Chart.yaml, commit 9ad7cd0): the
 * prometheus-community `prometheus` chart rather than the operator (one Prometheus per cluster needs no
 * operator) and the `grafana` chart, now kept by grafana-community (grafana/helm-charts charts/grafana/README.md:
 * "This chart has been migrated to grafana-community/helm-charts").
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import { GrafanaAuthSpec, MonitoringSettings } from "./config/operations";
import activityDashboard from "./dashboards/activity.json";
import clusterDashboard from "./dashboards/cluster.json";
import jupyterhubDashboard from "./dashboards/jupyterhub.json";
import usageReportDashboard from "./dashboards/usage-report.json";
import userDashboard from "./dashboards/user.json";
import { MONITORING_VOLUMES, retainingStorageClass } from "./homeStorageClass";
import { NODE_PURPOSE_LABEL, VolumeProvisioner } from "./platform";
import { fleetTags } from "./tags";
import { PlainObject } from "./util";

export const MONITORING_NAMESPACE = "monitoring";
/** prometheus-community/helm-charts charts/prometheus/Chart.yaml at cf408a2 (Prometheus v3.14.0). */
export const PROMETHEUS_CHART = { repo: "https://prometheus-community.github.io/helm-charts", chart: "prometheus", version: "29.27.0" } as const;
/** grafana-community/helm-charts charts/grafana/Chart.yaml at 3386a11 (Grafana 13.2.0). */
export const GRAFANA_CHART = { repo: "https://grafana-community.github.io/helm-charts", chart: "grafana", version: "12.11.1" } as const;
/** The JupyterHub service Prometheus scrapes as; its role grants `read:metrics` only. */
export const METRICS_SERVICE = "prometheus";
/** The label the hubs' network policies admit Prometheus by (with the namespace's own name label). */
export const SCRAPER_LABEL = { "jupyterhub-fleet/metrics-scraper": "true" } as const;
/** Where Prometheus finds each hub's token, one file per hub key. */
const TOKEN_MOUNT_PATH = "/etc/prometheus/hub-tokens";
const TOKEN_SECRET = "hub-metrics-tokens";
const GRAFANA_ADMIN_SECRET = "grafana-admin";
const GRAFANA_OAUTH_SECRET = "grafana-oauth";
/** The https front of a Grafana domain: Caddy gets and renews the Let's Encrypt certificate itself. */
export const CADDY_IMAGE = "caddy:2.11.4-alpine";
const CADDY_STORAGE = "1Gi";
const DASHBOARDS_CONFIG_MAP = "jupyterhub-dashboards";
/** The hub's internal port (z2jh hub Service `hub`, port 8081). */
const HUB_PORT = 8081;
/** Grafana's own database (dashboards state, users): small. */
const GRAFANA_STORAGE = "10Gi";
const HELM_TIMEOUT_SECONDS = 600;

/**
 * JupyterHub's community dashboards (jupyterhub/grafana-dashboards at ef44b4e), built from their jsonnet with
 * the repository's vendored grafonnet (see dashboards/README.md). Only those whose metrics this Prometheus
 * collects: `homedirs`, `support` and `group` need exporters the fleet does not install.
 */
export const DASHBOARDS: Readonly<Record<string, string>> = Object.fromEntries(Object.entries({
    "activity.json": activityDashboard, "cluster.json": clusterDashboard, "jupyterhub.json": jupyterhubDashboard,
    "usage-report.json": usageReportDashboard, "user.json": userDashboard,
}).map(([file, dashboard]) => [file, JSON.stringify(dashboard)]));

/** The pools every z2jh cluster the fleet makes has: the others are tainted for user pods. */
const CORE_NODE_SELECTOR = { [NODE_PURPOSE_LABEL]: "core" };

export interface PrometheusValuesInput {
    readonly settings: MonitoringSettings;
    readonly storageClass: pulumi.Input<string>;
    /** Keys (= namespaces) of the hubs to scrape. */
    readonly hubKeys: readonly string[];
}

/** The scrape job of one hub: its `hub` Service, with the hub's token, labelled with its namespace as the dashboards expect. */
export function hubScrapeJob(hubKey: string): PlainObject {
    return {
        metrics_path: "/hub/metrics",
        authorization: { type: "Bearer", credentials_file: `${TOKEN_MOUNT_PATH}/${hubKey}` },
        static_configs: [{ targets: [`hub.${hubKey}.svc:${HUB_PORT}`], labels: { namespace: hubKey } }],
    };
}

/** Values of the prometheus chart (charts/prometheus/values.yaml at the pinned version). */
export function prometheusValues(input: PrometheusValuesInput): PlainObject {
    const { settings } = input;
    return {
        alertmanager: { enabled: false },
        "prometheus-pushgateway": { enabled: false },
        // Labels and annotations the jupyterhub/grafana-dashboards queries select on (its docs/tutorials/deploy.md).
        "kube-state-metrics": {
            nodeSelector: CORE_NODE_SELECTOR,
            metricLabelsAllowlist: ["pods=[app,component,hub.jupyter.org/username]", "nodes=[*]"],
            metricAnnotationsAllowList: ["pods=[hub.jupyter.org/username]"],
        },
        // node-exporter is a DaemonSet: its chart tolerates every NoSchedule taint, so user and dask nodes report too.
        server: {
            nodeSelector: CORE_NODE_SELECTOR,
            podLabels: SCRAPER_LABEL,
            retention: `${settings.retentionDays}d`,
            persistentVolume: { enabled: true, size: `${settings.storageGb}Gi`, storageClass: input.storageClass },
            // One ReadWriteOnce volume: a rolling update would wait forever for the old pod to let go of it.
            strategy: { type: "Recreate" },
            extraSecretMounts: [{ name: TOKEN_SECRET, mountPath: TOKEN_MOUNT_PATH, secretName: TOKEN_SECRET, readOnly: true }],
        },
        scrapeConfigs: Object.fromEntries([...input.hubKeys].sort().map(hubKey => [`jupyterhub-${hubKey}`, hubScrapeJob(hubKey)])),
    };
}

export interface GrafanaValuesInput {
    readonly storageClass: pulumi.Input<string>;
    /** URL of the Prometheus server Service. */
    readonly prometheusUrl: string;
    /** Grafana's public domain, if any. */
    readonly domain?: string;
    /** Sign-in through the hubs' identity provider (needs `domain`). */
    readonly auth?: GrafanaAuthSpec;
}

/** The grafana.ini section of an OAuth sign-in, and the environment variable Grafana reads its secret from. */
export function grafanaOAuth(auth: GrafanaAuthSpec): { section: string; settings: PlainObject; secretVariable: string } {
    // Grafana reads GF_<SECTION>_<KEY> over grafana.ini (grafana docs, "Override configuration with environment variables").
    switch (auth.type) {
        case "github":
            return {
                section: "auth.github",
                secretVariable: "GF_AUTH_GITHUB_CLIENT_SECRET",
                settings: {
                    enabled: true, client_id: auth.clientId, scopes: "user:email,read:org", allow_sign_up: true,
                    allowed_organizations: [...auth.allowedOrganizations].sort().join(" "),
                    auth_url: "https://github.com/login/oauth/authorize",
                    token_url: "https://github.com/login/oauth/access_token",
                    api_url: "https://api.github.com/user",
                },
            };
        case "oidc":
            return {
                section: "auth.generic_oauth",
                secretVariable: "GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET",
                settings: {
                    enabled: true, name: "Sign in", client_id: auth.clientId, scopes: auth.scopes.join(" "), allow_sign_up: true,
                    auth_url: auth.authorizeUrl, token_url: auth.tokenUrl, api_url: auth.userdataUrl,
                    groups_attribute_path: auth.groupsClaim,
                    allowed_groups: [...auth.allowedGroups].sort().join(" "),
                },
            };
    }
}

/**
 * Values of the grafana chart (charts/grafana/values.yaml at the pinned version). The admin account's
 * password comes from a Secret (`admin.existingSecret`), never from values, and nobody gets in anonymously.
 */
export function grafanaValues(input: GrafanaValuesInput): PlainObject {
    const dashboardsPath = "/var/lib/grafana/dashboards/jupyterhub";
    if (input.auth && !input.domain) throw new Error("Grafana sign-in through an identity provider needs a domain (its OAuth callback)");
    const oauth = input.auth && grafanaOAuth(input.auth);
    return {
        nodeSelector: CORE_NODE_SELECTOR,
        persistence: { enabled: true, type: "pvc", size: GRAFANA_STORAGE, storageClassName: input.storageClass },
        deploymentStrategy: { type: "Recreate" },
        admin: { existingSecret: GRAFANA_ADMIN_SECRET, userKey: "admin-user", passwordKey: "admin-password" },
        "grafana.ini": {
            "auth.anonymous": { enabled: false },
            // Whoever signs in through the identity provider can look, not change: administration is the admin account's.
            users: { allow_sign_up: false, auto_assign_org_role: "Viewer" },
            ...(input.domain ? { server: { domain: input.domain, root_url: `https://${input.domain}` } } : {}),
            ...(oauth ? { [oauth.section]: oauth.settings } : {}),
        },
        // The client secret comes from a Secret as an environment variable, never through values or grafana.ini.
        ...(oauth ? { envValueFrom: { [oauth.secretVariable]: { secretKeyRef: { name: GRAFANA_OAUTH_SECRET, key: "client-secret" } } } } : {}),
        datasources: {
            "datasources.yaml": {
                apiVersion: 1,
                datasources: [{ name: "prometheus", type: "prometheus", url: input.prometheusUrl, access: "proxy", isDefault: true, editable: false }],
            },
        },
        dashboardProviders: {
            "dashboardproviders.yaml": {
                apiVersion: 1,
                providers: [{
                    name: "jupyterhub", orgId: 1, folder: "JupyterHub", type: "file", disableDeletion: true, editable: false,
                    options: { path: dashboardsPath },
                }],
            },
        },
        dashboardsConfigMaps: { jupyterhub: DASHBOARDS_CONFIG_MAP },
    };
}

/**
 * What a hub's z2jh values need so Prometheus can read its metrics: a service whose token holds
 * `read:metrics` only (JupyterHub keeps `authenticate_prometheus` on, so /hub/metrics stays closed to the
 * internet through the proxy), a network policy rule admitting the Prometheus pods, and the hub Service's
 * scrape annotation off (the chart's annotation-driven job would scrape it without the token).
 */
export function hubMetricsValues(): PlainObject {
    return {
        hub: {
            loadRoles: { "prometheus-metrics": { scopes: ["read:metrics"], services: [METRICS_SERVICE] } },
            service: { annotations: { "prometheus.io/scrape": "false" } },
            networkPolicy: {
                ingress: [{
                    from: [{
                        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": MONITORING_NAMESPACE } },
                        podSelector: { matchLabels: SCRAPER_LABEL },
                    }],
                    ports: [{ port: HUB_PORT, protocol: "TCP" }],
                }],
            },
        },
    };
}

/** The secret part of `hubMetricsValues`: the service's token. */
export function hubMetricsSecretValues(token: pulumi.Input<string>): PlainObject {
    return { hub: { services: { [METRICS_SERVICE]: { apiToken: token } } } };
}

/**
 * Caddy's configuration for Grafana's domain: automatic https with a Let's Encrypt certificate (HTTP-01 on
 * port 80, redirect of http to https), proxying to Grafana's Service. The admin API is off.
 */
export function caddyfile(domain: string, contactEmail: string, upstream: string): string {
    return [
        "{", `\temail ${contactEmail}`, "\tadmin off", "}",
        `${domain} {`, `\treverse_proxy ${upstream}`, "}", "",
    ].join("\n");
}

export interface MonitoringArgs {
    /** The cluster's key, for the cost tags of the volumes. */
    readonly clusterKey: string;
    /** The cluster's monitoring settings. */
    readonly settings: MonitoringSettings;
    /** Provider for the cluster. */
    readonly kubeProvider: k8s.Provider;
    /** The platform's block storage: a retaining class is made from it (clusters the fleet creates). */
    readonly provisioner?: VolumeProvisioner;
    /** Keys of the hubs on the cluster. */
    readonly hubKeys: readonly string[];
    /** Grafana's OAuth client secret (clusterSecrets.<cluster>.grafanaClientSecret), with `settings.auth`. */
    readonly grafanaClientSecret?: pulumi.Output<string>;
}

/**
 * The class Prometheus' and Grafana's volumes use: on a platform with block storage, a retaining class of the
 * fleet's, tagged with the cluster's cost tags (the CSI drivers' volumes escape the providers' defaults); on an
 * existing cluster the operator's class, read from the cluster: the deployment stops there unless it retains.
 */
export function monitoringStorageClass(name: string, args: Pick<MonitoringArgs, "clusterKey" | "settings" | "provisioner">,
    opts: pulumi.CustomResourceOptions): pulumi.Output<string> {
    if (args.provisioner) {
        return new k8s.storage.v1.StorageClass(`${name}-storage-class`, {
            metadata: { name: "monitoring-retain" },
            provisioner: args.provisioner.provisioner,
            parameters: { ...args.provisioner.parameters, ...args.provisioner.tagParameters?.(fleetTags(args.clusterKey)) },
            // Metrics history and Grafana's database outlive a removed release or claim.
            reclaimPolicy: "Retain",
            allowVolumeExpansion: true,
            volumeBindingMode: "WaitForFirstConsumer",
        }, opts).metadata.name;
    }
    if (args.settings.storageClass === undefined) {
        throw new Error(`monitoring of cluster ${name}: no storage class (set monitoring.storageClass to a class with reclaimPolicy: Retain)`);
    }
    return retainingStorageClass(`${name}-storage-class`, args.settings.storageClass, MONITORING_VOLUMES, opts);
}

export class Monitoring extends pulumi.ComponentResource {
    /** Per hub key, the token Prometheus reads its metrics with (a secret). */
    readonly hubTokens: Readonly<Record<string, pulumi.Output<string>>>;
    /** Where Grafana is reached. */
    readonly grafanaUrl: pulumi.Output<string>;
    /** The https front's load balancer (hostname or IP): where grafanaDomain's DNS record points. */
    readonly grafanaAddress: pulumi.Output<string | undefined>;
    /** Where the admin password lives: namespace/name and key of its Secret. */
    readonly grafanaAdminSecret: string;

    constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jupyterhub:monitoring:Monitoring", name, {}, opts);
        const settings = args.settings;
        const childOpts: pulumi.CustomResourceOptions = { parent: this, provider: args.kubeProvider };
        const namespace = new k8s.core.v1.Namespace(`${name}-namespace`, {
            metadata: { name: MONITORING_NAMESPACE, labels: { "app.kubernetes.io/managed-by": "jupyterhub-fleet" } },
        }, childOpts);

        const storageClass = monitoringStorageClass(name, args, childOpts);

        this.hubTokens = Object.fromEntries([...args.hubKeys].sort().map(hubKey => [hubKey,
            new random.RandomPassword(`${name}-token-${hubKey}`, { length: 48, special: false }, { parent: this }).result]));
        const tokens = new k8s.core.v1.Secret(`${name}-hub-tokens`, {
            metadata: { name: TOKEN_SECRET, namespace: namespace.metadata.name },
            stringData: Object.fromEntries(Object.entries(this.hubTokens).map(([hubKey, token]) => [hubKey, pulumi.secret(token)])),
        }, childOpts);

        // A RandomPassword's result is a secret in the state.
        const adminPassword = new random.RandomPassword(`${name}-grafana-admin`, { length: 32, special: false }, { parent: this }).result;
        const admin = new k8s.core.v1.Secret(`${name}-grafana-admin`, {
            metadata: { name: GRAFANA_ADMIN_SECRET, namespace: namespace.metadata.name },
            stringData: { "admin-user": "admin", "admin-password": pulumi.secret(adminPassword) },
        }, childOpts);
        this.grafanaAdminSecret = `${MONITORING_NAMESPACE}/${GRAFANA_ADMIN_SECRET} (key admin-password)`;

        const oauthSecret = settings.auth && new k8s.core.v1.Secret(`${name}-grafana-oauth`, {
            metadata: { name: GRAFANA_OAUTH_SECRET, namespace: namespace.metadata.name },
            stringData: { "client-secret": pulumi.secret(requireSecret(name, args.grafanaClientSecret)) },
        }, childOpts);

        const dashboards = new k8s.core.v1.ConfigMap(`${name}-dashboards`, {
            metadata: { name: DASHBOARDS_CONFIG_MAP, namespace: namespace.metadata.name },
            data: { ...DASHBOARDS },
        }, childOpts);

        const prometheus = new k8s.helm.v3.Release(`${name}-prometheus`, {
            name: "prometheus",
            namespace: namespace.metadata.name,
            chart: PROMETHEUS_CHART.chart,
            version: PROMETHEUS_CHART.version,
            repositoryOpts: { repo: PROMETHEUS_CHART.repo },
            values: prometheusValues({ settings, storageClass, hubKeys: args.hubKeys }),
            atomic: true,
            cleanupOnFail: true,
            timeout: HELM_TIMEOUT_SECONDS,
        }, { ...childOpts, dependsOn: [tokens] });
        new k8s.helm.v3.Release(`${name}-grafana`, {
            name: "grafana",
            namespace: namespace.metadata.name,
            chart: GRAFANA_CHART.chart,
            version: GRAFANA_CHART.version,
            repositoryOpts: { repo: GRAFANA_CHART.repo },
            values: grafanaValues({
                storageClass, prometheusUrl: `http://prometheus-server.${MONITORING_NAMESPACE}.svc`, domain: settings.grafanaDomain, auth: settings.auth,
            }),
            atomic: true,
            cleanupOnFail: true,
            timeout: HELM_TIMEOUT_SECONDS,
        }, { ...childOpts, dependsOn: [admin, dashboards, prometheus, ...(oauthSecret ? [oauthSecret] : [])] });

        if (settings.grafanaDomain) {
            if (!settings.contactEmail) throw new Error(`monitoring of ${name}: grafanaDomain needs contactEmail (Let's Encrypt's contact)`);
            this.grafanaAddress = this.httpsFront(name, namespace.metadata.name, storageClass,
                caddyfile(settings.grafanaDomain, settings.contactEmail, `grafana.${MONITORING_NAMESPACE}.svc:80`), childOpts);
            this.grafanaUrl = pulumi.output(`https://${settings.grafanaDomain}`);
        } else {
            this.grafanaAddress = pulumi.output(undefined);
            this.grafanaUrl = pulumi.output(`kubectl -n ${MONITORING_NAMESPACE} port-forward svc/grafana 3000:80, then http://localhost:3000`);
        }
        this.registerOutputs({ grafanaUrl: this.grafanaUrl, grafanaAddress: this.grafanaAddress, grafanaAdminSecret: this.grafanaAdminSecret });
    }

    /**
     * Caddy in front of Grafana on a LoadBalancer Service, keeping its certificates on a retained volume so a
     * restart does not ask Let's Encrypt again (its rate limits are per domain and week). It runs as a non-root
     * user without privilege escalation and binds 80 and 443 through the namespaced
     * `net.ipv4.ip_unprivileged_port_start` sysctl (a safe sysctl, allowed by default since Kubernetes 1.22).
     * The image's binary carries the file capability `cap_net_bind_service=+ep`, which makes exec fail with
     * EPERM when that capability is missing from the bounding set (caddyserver/caddy-docker#466), so it stays
     * there while every other capability is dropped; no_new_privs keeps it from being granted.
     */
    private httpsFront(name: string, namespace: pulumi.Output<string>, storageClass: pulumi.Input<string>, config: string,
        childOpts: pulumi.CustomResourceOptions): pulumi.Output<string | undefined> {
        const labels = { "app.kubernetes.io/name": "grafana-https", "app.kubernetes.io/managed-by": "jupyterhub-fleet" };
        const configMap = new k8s.core.v1.ConfigMap(`${name}-https-config`, {
            metadata: { name: "grafana-https", namespace }, data: { Caddyfile: config },
        }, childOpts);
        const claim = new k8s.core.v1.PersistentVolumeClaim(`${name}-https-data`, {
            metadata: { name: "grafana-https-data", namespace },
            spec: { accessModes: ["ReadWriteOnce"], storageClassName: storageClass, resources: { requests: { storage: CADDY_STORAGE } } },
        }, childOpts);
        new k8s.apps.v1.Deployment(`${name}-https`, {
            metadata: { name: "grafana-https", namespace, labels },
            spec: {
                replicas: 1,
                strategy: { type: "Recreate" },
                selector: { matchLabels: labels },
                template: {
                    metadata: { labels },
                    spec: {
                        nodeSelector: CORE_NODE_SELECTOR,
                        securityContext: {
                            runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000,
                            sysctls: [{ name: "net.ipv4.ip_unprivileged_port_start", value: "0" }],
                            seccompProfile: { type: "RuntimeDefault" },
                        },
                        containers: [{
                            name: "caddy",
                            image: CADDY_IMAGE,
                            args: ["caddy", "run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"],
                            env: [{ name: "XDG_DATA_HOME", value: "/data" }, { name: "XDG_CONFIG_HOME", value: "/config" }],
                            ports: [{ name: "http", containerPort: 80 }, { name: "https", containerPort: 443 }],
                            securityContext: {
                                allowPrivilegeEscalation: false, readOnlyRootFilesystem: true,
                                capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE"] },
                            },
                            volumeMounts: [
                                { name: "config", mountPath: "/etc/caddy", readOnly: true },
                                { name: "data", mountPath: "/data" },
                                { name: "runtime", mountPath: "/config" },
                            ],
                        }],
                        volumes: [
                            { name: "config", configMap: { name: configMap.metadata.name } },
                            { name: "data", persistentVolumeClaim: { claimName: claim.metadata.name } },
                            { name: "runtime", emptyDir: {} },
                        ],
                    },
                },
            },
        }, childOpts);
        const service = new k8s.core.v1.Service(`${name}-https`, {
            metadata: { name: "grafana-https", namespace, labels },
            spec: {
                type: "LoadBalancer",
                selector: labels,
                ports: [{ name: "http", port: 80, targetPort: "http" }, { name: "https", port: 443, targetPort: "https" }],
            },
        }, childOpts);
        return service.status.apply(status => status?.loadBalancer?.ingress?.[0]?.hostname ?? status?.loadBalancer?.ingress?.[0]?.ip ?? undefined);
    }
}

function requireSecret(name: string, secret: pulumi.Output<string> | undefined): pulumi.Output<string> {
    if (!secret) throw new Error(`monitoring of ${name}: auth is set but clusterSecrets.<cluster>.grafanaClientSecret is missing`);
    return secret;
}
