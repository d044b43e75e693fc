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
import { MonitoringSettings } from "./config/operations";
import activityDashboard from "./dashboards/activity.json";
import clusterDashboard from "./dashboards/cluster.json";
import jupyterhubDashboard from "./dashboards/jupyterhub.json";
import usageReportDashboard from "./dashboards/usage-report.json";
import userDashboard from "./dashboards/user.json";
import { NODE_PURPOSE_LABEL, VolumeProvisioner } from "./platform";
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
}

/**
 * Values of the grafana chart (charts/grafana/values.yaml at the pinned version). The admin account's
 * password comes from a Secret (`admin.existingSecret`), never from values, and nobody gets in anonymously.
 */
export function grafanaValues(input: GrafanaValuesInput): PlainObject {
    const dashboardsPath = "/var/lib/grafana/dashboards/jupyterhub";
    return {
        nodeSelector: CORE_NODE_SELECTOR,
        persistence: { enabled: true, type: "pvc", size: GRAFANA_STORAGE, storageClassName: input.storageClass },
        deploymentStrategy: { type: "Recreate" },
        admin: { existingSecret: GRAFANA_ADMIN_SECRET, userKey: "admin-user", passwordKey: "admin-password" },
        "grafana.ini": {
            "auth.anonymous": { enabled: false },
            users: { allow_sign_up: false },
        },
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

export interface MonitoringArgs {
    /** The cluster's monitoring settings. */
    readonly settings: MonitoringSettings;
    /** Provider for the cluster. */
    readonly kubeProvider: k8s.Provider;
    /** The platform's block storage: a retaining class is made from it (clusters the fleet creates). */
    readonly provisioner?: VolumeProvisioner;
    /** Keys of the hubs on the cluster. */
    readonly hubKeys: readonly string[];
}

export class Monitoring extends pulumi.ComponentResource {
    /** Per hub key, the token Prometheus reads its metrics with (a secret). */
    readonly hubTokens: Readonly<Record<string, pulumi.Output<string>>>;
    /** Where Grafana is reached. */
    readonly grafanaUrl: pulumi.Output<string>;
    /** Where the admin password lives: namespace/name and key of its Secret. */
    readonly grafanaAdminSecret: string;
    /** Grafana's admin password (a secret). */
    readonly grafanaAdminPassword: pulumi.Output<string>;

    constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jupyterhub:monitoring:Monitoring", name, {}, opts);
        const childOpts: pulumi.CustomResourceOptions = { parent: this, provider: args.kubeProvider };
        const namespace = new k8s.core.v1.Namespace(`${name}-namespace`, {
            metadata: { name: MONITORING_NAMESPACE, labels: { "app.kubernetes.io/managed-by": "jupyterhub-fleet" } },
        }, childOpts);

        const storageClass = args.provisioner
            ? new k8s.storage.v1.StorageClass(`${name}-storage-class`, {
                metadata: { name: "monitoring-retain" },
                provisioner: args.provisioner.provisioner,
                parameters: { ...args.provisioner.parameters },
                // Metrics history and Grafana's database outlive a removed release or claim.
                reclaimPolicy: "Retain",
                allowVolumeExpansion: true,
                volumeBindingMode: "WaitForFirstConsumer",
            }, childOpts).metadata.name
            : args.settings.storageClass;
        if (storageClass === undefined) {
            throw new Error(`monitoring of cluster ${name}: no storage class (set monitoring.storageClass to a class with reclaimPolicy: Retain)`);
        }

        this.hubTokens = Object.fromEntries([...args.hubKeys].sort().map(hubKey => [hubKey,
            new random.RandomPassword(`${name}-token-${hubKey}`, { length: 48, special: false }, { parent: this }).result]));
        const tokens = new k8s.core.v1.Secret(`${name}-hub-tokens`, {
            metadata: { name: TOKEN_SECRET, namespace: namespace.metadata.name },
            stringData: Object.fromEntries(Object.entries(this.hubTokens).map(([hubKey, token]) => [hubKey, pulumi.secret(token)])),
        }, childOpts);

        this.grafanaAdminPassword = new random.RandomPassword(`${name}-grafana-admin`, { length: 32, special: false }, { parent: this }).result;
        const admin = new k8s.core.v1.Secret(`${name}-grafana-admin`, {
            metadata: { name: GRAFANA_ADMIN_SECRET, namespace: namespace.metadata.name },
            stringData: { "admin-user": "admin", "admin-password": pulumi.secret(this.grafanaAdminPassword) },
        }, childOpts);
        this.grafanaAdminSecret = `${MONITORING_NAMESPACE}/${GRAFANA_ADMIN_SECRET} (key admin-password)`;

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
            values: prometheusValues({ settings: args.settings, storageClass, hubKeys: args.hubKeys }),
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
            values: grafanaValues({ storageClass, prometheusUrl: `http://prometheus-server.${MONITORING_NAMESPACE}.svc` }),
            atomic: true,
            cleanupOnFail: true,
            timeout: HELM_TIMEOUT_SECONDS,
        }, { ...childOpts, dependsOn: [admin, dashboards, prometheus] });

        this.grafanaUrl = pulumi.output(`kubectl -n ${MONITORING_NAMESPACE} port-forward svc/grafana 3000:80, then http://localhost:3000`);
        this.registerOutputs({ grafanaUrl: this.grafanaUrl, grafanaAdminSecret: this.grafanaAdminSecret });
    }
}
