/**
 * Running the fleet (issue 15), without mocks: the monitoring and budget config and its problems, the
 * monitoring charts' values, the hub's metrics values, and the budgets' arguments.
 */
import * as assert from "assert";
import { parseFleetConfig } from "../components/config";
import { monitoringSettings } from "../components/config/operations";
import { awsBudgetArgs } from "../components/aws/budget";
import { gcpBudgetArgs } from "../components/gcp/budget";
import {
    caddyfile, grafanaValues, hubMetricsSecretValues, hubMetricsValues, METRICS_SERVICE, prometheusValues, SCRAPER_LABEL,
} from "../components/monitoring";
import { ebsVolumeTags, fleetTags, pdVolumeLabels } from "../components/tags";
import { expectExactly, fleetWith, problemsOf } from "./configProblems";

const budget = { monthlyAmount: 500, currency: "USD", notify: ["ops@example.org"], thresholds: [100, 80] };
const gcpCluster = {
    provider: "gcp", project: "example-project", region: "us-central1", zone: "us-central1-b", kubernetesVersion: "1.33",
    nodePools: { core: { machineType: "n2-standard-2", minNodes: 1, maxNodes: 1 }, user: { machineType: "n2-standard-4", minNodes: 0, maxNodes: 3 } },
};
const ovhCluster = {
    provider: "ovh", serviceName: "5f3c0e2b9a7d4c1e8b6a2f0d9c8e7b6a", region: "GRA11", s3: { region: "gra" },
    kubernetesVersion: "1.35", network: { vlanId: 12, cidr: "10.0.0.0/16" },
    nodePools: { core: { machineType: "b3-8", minNodes: 1, maxNodes: 2 }, user: { machineType: "r3-32", minNodes: 0, maxNodes: 10 } },
};
const nfsCluster = { provider: "kubernetes", homeStorage: { type: "nfs", server: "nfs.example.org", path: "/export/homes" } };

describe("monitoring and budget config", () => {
    it("turns monitoring on by default where the fleet made the cluster, off on an existing one", () => {
        const config = parseFleetConfig(fleetWith(f => {
            f.clusters.gcp1 = gcpCluster;
            f.clusters.onprem = nfsCluster;
            f.clusters.kept = { ...nfsCluster, monitoring: { storageClass: "retained", retentionDays: 30 } };
        }), { stack: "staging", secretKeys: ["hubSecrets"] });
        const settings = (key: string) => monitoringSettings(config.clusters[key].provider, config.clusters[key].monitoring);
        assert.deepStrictEqual(settings("uw2"), {
            retentionDays: 90, storageGb: 50, storageClass: undefined, grafanaDomain: undefined, contactEmail: undefined, auth: undefined,
        });
        assert.ok(settings("gcp1"));
        assert.strictEqual(settings("onprem"), undefined);
        assert.deepStrictEqual([settings("kept")?.retentionDays, settings("kept")?.storageClass], [30, "retained"]);
        assert.strictEqual(monitoringSettings("aws", { enabled: false }), undefined);
    });

    it("refuses budgets where no budget API exists, and a GCP budget without its billing account", () => {
        const problems = problemsOf(fleetWith(f => {
            f.clusters.uw2.budget = { ...budget, billingAccount: "012345-6789AB-CDEF01" };
            f.clusters.gcp1 = { ...gcpCluster, budget };
            f.clusters.gra = { ...ovhCluster, budget };
            f.clusters.onprem = { ...nfsCluster, budget };
        }));
        expectExactly(problems,
            "clusters.uw2.budget.billingAccount: AWS budgets belong to the account that deploys them (remove it)",
            "clusters.gcp1.budget.billingAccount: a GCP budget belongs to a billing account " +
            "(add the project's billing account id (gcloud billing projects describe <project>))",
            "clusters.gra.budget: budgets are not supported on ovh clusters: OVHcloud has no budget API for a Public Cloud project " +
            "(only account-wide consumption alerts, set in the OVH Control Panel) (remove it)",
            "clusters.onprem.budget: budgets are not supported on kubernetes clusters: an existing cluster's spending is not visible to the fleet (remove it)");
    });

    it("checks the budget's fields: amount, currency code, emails, thresholds", () => {
        const problems = problemsOf(fleetWith(f => {
            f.clusters.uw2.budget = { monthlyAmount: -1, currency: "usd", notify: ["not-an-email"], thresholds: [80, 80] };
        }));
        expectExactly(problems,
            "clusters.uw2.budget.monthlyAmount: number -1 is too small (it must be above 0)",
            "clusters.uw2.budget.currency: string \"usd\" must be an ISO 4217 currency code such as USD or EUR (see README.md, Configuration reference)",
            "clusters.uw2.budget.notify[0]: string \"not-an-email\" must be an email address (see README.md, Configuration reference)");
        expectExactly(problemsOf(fleetWith(f => { f.clusters.uw2.budget = { ...budget, thresholds: [80, 80] }; })),
            "clusters.uw2.budget.thresholds: 80 is listed twice (list each percentage once)");
    });

    it("asks for a retaining class on existing clusters, a contact for the domain, a domain for sign-in and the client secret", () => {
        const problems = problemsOf(fleetWith(f => {
            f.clusters.onprem = { ...nfsCluster, monitoring: { enabled: true } };
            f.clusters.uw2.monitoring = { storageClass: "gp3", auth: { type: "github", clientId: "Iv1.x", allowedOrganizations: ["example-org"] } };
            f.clusters.gcp1 = { ...gcpCluster, monitoring: { grafanaDomain: "grafana.example.org" } };
            f.clusterSecrets = { gcp1: { grafanaClientSecret: "s" } };
        }), ["hubSecrets", "clusterSecrets"]);
        expectExactly(problems,
            "clusters.onprem.monitoring.storageClass: monitoring on an existing cluster needs a named storage class " +
            "(name a class with reclaimPolicy: Retain, so Prometheus' data and Grafana's database outlive their claims)",
            "clusters.uw2.monitoring.storageClass: aws clusters get a retaining class of their own for monitoring (remove it)",
            "clusters.uw2.monitoring.auth: sign-in through an identity provider needs Grafana at a domain (its OAuth callback) " +
            "(add monitoring.grafanaDomain, or remove auth and sign in as admin through kubectl port-forward)",
            "clusterSecrets.uw2.grafanaClientSecret: missing: Grafana's OAuth client secret (set it: " +
            "pulumi config set --secret --path 'clusterSecrets.uw2.grafanaClientSecret' '<client secret>')",
            "clusters.gcp1.monitoring.contactEmail: Let's Encrypt needs a contact for the grafanaDomain certificate (add contactEmail: <the operators' address>)",
            "clusterSecrets.gcp1.grafanaClientSecret: is set but the cluster's monitoring has no auth " +
            "(add clusters.gcp1.monitoring.auth, or remove it: pulumi config rm --path 'clusterSecrets.gcp1.grafanaClientSecret')");
    });
});

describe("monitoring values", () => {
    const settings = { retentionDays: 30, storageGb: 20 };

    it("keeps Prometheus' data on the given class for the configured days, on the core pool, and scrapes each hub with its own token", () => {
        const values = prometheusValues({ settings, storageClass: "monitoring-retain", hubKeys: ["b-hub", "a-hub"] }) as any;
        assert.deepStrictEqual(values.server.persistentVolume, { enabled: true, size: "20Gi", storageClass: "monitoring-retain" });
        assert.strictEqual(values.server.retention, "30d");
        assert.deepStrictEqual(values.server.nodeSelector, { "hub.jupyter.org/node-purpose": "core" });
        assert.deepStrictEqual(values.server.podLabels, SCRAPER_LABEL);
        assert.deepStrictEqual(Object.keys(values.scrapeConfigs), ["jupyterhub-a-hub", "jupyterhub-b-hub"]);
        assert.deepStrictEqual(values.scrapeConfigs["jupyterhub-a-hub"], {
            metrics_path: "/hub/metrics",
            authorization: { type: "Bearer", credentials_file: "/etc/prometheus/hub-tokens/a-hub" },
            static_configs: [{ targets: ["hub.a-hub.svc:8081"], labels: { namespace: "a-hub" } }],
        });
        // The dashboards select user pods by these labels (jupyterhub/grafana-dashboards docs/tutorials/deploy.md).
        assert.ok(values["kube-state-metrics"].metricLabelsAllowlist.includes("pods=[app,component,hub.jupyter.org/username]"));
    });

    it("gives Grafana a password from a Secret, no anonymous access, and Viewer to whoever signs in", () => {
        const values = grafanaValues({ storageClass: "monitoring-retain", prometheusUrl: "http://prometheus-server.monitoring.svc" }) as any;
        assert.deepStrictEqual(values.admin, { existingSecret: "grafana-admin", userKey: "admin-user", passwordKey: "admin-password" });
        assert.ok(!("adminPassword" in values));
        assert.deepStrictEqual(values["grafana.ini"]["auth.anonymous"], { enabled: false });
        assert.strictEqual(values["grafana.ini"].users.auto_assign_org_role, "Viewer");
        assert.ok(!("auth.github" in values["grafana.ini"]) && !("envValueFrom" in values));
        assert.deepStrictEqual(values.persistence.storageClassName, "monitoring-retain");
        assert.strictEqual(values.datasources["datasources.yaml"].datasources[0].url, "http://prometheus-server.monitoring.svc");
    });

    it("signs in through GitHub or an OIDC provider at the domain, the client secret from a Secret's environment variable", () => {
        const github = grafanaValues({
            storageClass: "c", prometheusUrl: "u", domain: "grafana.example.org",
            auth: { type: "github", clientId: "Iv1.x", allowedOrganizations: ["org-b", "org-a"] },
        }) as any;
        assert.deepStrictEqual(github["grafana.ini"].server, { domain: "grafana.example.org", root_url: "https://grafana.example.org" });
        assert.strictEqual(github["grafana.ini"]["auth.github"].allowed_organizations, "org-a org-b");
        assert.ok(!("client_secret" in github["grafana.ini"]["auth.github"]));
        assert.deepStrictEqual(github.envValueFrom, { GF_AUTH_GITHUB_CLIENT_SECRET: { secretKeyRef: { name: "grafana-oauth", key: "client-secret" } } });
        const oidc = grafanaValues({
            storageClass: "c", prometheusUrl: "u", domain: "grafana.example.org",
            auth: {
                type: "oidc", clientId: "grafana", authorizeUrl: "https://idp/auth", tokenUrl: "https://idp/token", userdataUrl: "https://idp/userinfo",
                scopes: ["openid", "profile"], allowedGroups: ["hub-admins"], groupsClaim: "groups",
            },
        }) as any;
        assert.strictEqual(oidc["grafana.ini"]["auth.generic_oauth"].allowed_groups, "hub-admins");
        assert.ok("GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET" in oidc.envValueFrom);
        assert.throws(() => grafanaValues({
            storageClass: "c", prometheusUrl: "u", auth: { type: "github", clientId: "Iv1.x", allowedOrganizations: ["org-a"] },
        }), /needs a domain/);
    });

    it("opens each hub to Prometheus only: a read:metrics token, a network policy rule for the scraper, and no annotation scrape", () => {
        const values = hubMetricsValues() as any;
        assert.deepStrictEqual(values.hub.loadRoles, { "prometheus-metrics": { scopes: ["read:metrics"], services: [METRICS_SERVICE] } });
        assert.deepStrictEqual(values.hub.networkPolicy.ingress, [{
            from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } }, podSelector: { matchLabels: SCRAPER_LABEL } }],
            ports: [{ port: 8081, protocol: "TCP" }],
        }]);
        assert.deepStrictEqual(values.hub.service.annotations, { "prometheus.io/scrape": "false" });
        assert.ok(!("config" in values.hub), "JupyterHub keeps authenticate_prometheus on");
        assert.deepStrictEqual(hubMetricsSecretValues("t0ken"), { hub: { services: { prometheus: { apiToken: "t0ken" } } } });
    });

    it("fronts Grafana's domain with Caddy's automatic https", () => {
        assert.strictEqual(caddyfile("grafana.example.org", "ops@example.org", "grafana.monitoring.svc:80"),
            "{\n\temail ops@example.org\n\tadmin off\n}\ngrafana.example.org {\n\treverse_proxy grafana.monitoring.svc:80\n}\n");
    });
});

describe("cost tags on volumes the CSI drivers create", () => {
    it("become EBS tagSpecification parameters and GCE PD labels, in key order", () => {
        const tags = fleetTags("uw2", "research");
        assert.deepStrictEqual(ebsVolumeTags(tags), {
            tagSpecification_1: "jupyterhub-fleet-cluster=uw2", tagSpecification_2: "jupyterhub-fleet-hub=research",
        });
        assert.deepStrictEqual(pdVolumeLabels(tags), { labels: "jupyterhub-fleet-cluster=uw2,jupyterhub-fleet-hub=research" });
    });
});

describe("budget arguments", () => {
    it("AWS: a monthly cost budget on the cluster's cost-allocation tag, one notification per threshold, lowest first", () => {
        const args = awsBudgetArgs("uw2", budget) as any;
        assert.deepStrictEqual([args.budgetType, args.timeUnit, args.limitAmount, args.limitUnit], ["COST", "MONTHLY", "500", "USD"]);
        assert.deepStrictEqual(args.costFilters, [{ name: "TagKeyValue", values: ["user:jupyterhub-fleet-cluster$uw2"] }]);
        assert.deepStrictEqual(args.notifications.map((n: any) => [n.threshold, n.thresholdType, n.subscriberEmailAddresses]),
            [[80, "PERCENTAGE", ["ops@example.org"]], [100, "PERCENTAGE", ["ops@example.org"]]]);
    });

    it("GCP: a budget on the billing account, filtered to the cluster label, thresholds as fractions, mailing through channels", () => {
        const args = gcpBudgetArgs("exr", { ...budget, billingAccount: "012345-6789AB-CDEF01" }, ["projects/p/notificationChannels/1"]) as any;
        assert.strictEqual(args.billingAccount, "012345-6789AB-CDEF01");
        assert.deepStrictEqual(args.budgetFilter, { labels: { "jupyterhub-fleet-cluster": "exr" } });
        assert.deepStrictEqual(args.amount, { specifiedAmount: { currencyCode: "USD", units: "500" } });
        assert.deepStrictEqual(args.thresholdRules, [{ thresholdPercent: 0.8 }, { thresholdPercent: 1 }]);
        assert.deepStrictEqual(args.allUpdatesRule, { monitoringNotificationChannels: ["projects/p/notificationChannels/1"] });
        assert.throws(() => gcpBudgetArgs("exr", budget, []), /billingAccount/);
    });
});
