/**
 * The Google APIs a cluster's resources call, enabled in its project before anything uses them: a new
 * project has few APIs on, and a resource created before its API fails the `up` halfway.
 */
import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";
import { GcpClusterSpec } from "../config";

/**
 * Enabling any API goes through Service Usage, and the provider reads every enabled API back through
 * Cloud Resource Manager (terraform-provider-google resource_google_project_service.go: Create lists
 * services, Read calls Projects.Get), so these two come first. Service Usage is on in every new project.
 */
const FOUNDATION_APIS = ["cloudresourcemanager", "serviceusage"] as const;

/**
 * Short API names (`<name>.googleapis.com`) a cluster needs: GKE and the Compute Engine network, IAM for
 * service accounts, IAM Credentials for the tokens Workload Identity hands out, Logging and Monitoring for
 * what nodes send, Cloud Storage for buckets, and Filestore only where homes live there.
 */
export function requiredApis(spec: Pick<GcpClusterSpec, "homeStorage" | "budget">): string[] {
    return [
        ...FOUNDATION_APIS, "compute", "container", "iam", "iamcredentials", "logging", "monitoring", "storage",
        ...(spec.homeStorage.type === "filestore" ? ["file"] : []),
        // The Budget API of a cluster with a budget.
        ...(spec.budget ? ["billingbudgets"] : []),
    ].sort();
}

export interface ProjectApisArgs {
    /** The cluster's project. */
    readonly project: string;
    /** Short API names, from `requiredApis`. */
    readonly apis: readonly string[];
}

/**
 * One `gcp.projects.Service` per API. Removing a cluster never turns an API off (`disableOnDestroy: false`):
 * other clusters, or things outside the fleet, may use it; enabling one that is on already changes nothing.
 */
export class ProjectApis extends pulumi.ComponentResource {
    private readonly services: Readonly<Record<string, gcp.projects.Service>>;

    constructor(name: string, args: ProjectApisArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jupyterhub:gcp:ProjectApis", name, {}, opts);
        const enable = (api: string, dependsOn: pulumi.Resource[]) => new gcp.projects.Service(`${name}-${api}`, {
            project: args.project,
            service: `${api}.googleapis.com`,
            disableOnDestroy: false,
        }, { parent: this, dependsOn });
        const isFoundation = (api: string) => (FOUNDATION_APIS as readonly string[]).includes(api);
        const foundation = Object.fromEntries(args.apis.filter(isFoundation).map(api => [api, enable(api, [])]));
        this.services = {
            ...foundation,
            ...Object.fromEntries(args.apis.filter(api => !isFoundation(api)).map(api => [api, enable(api, Object.values(foundation))])),
        };
        this.registerOutputs({ services: Object.keys(this.services) });
    }

    /** The services a resource that calls `apis` must wait for. */
    of(...apis: string[]): gcp.projects.Service[] {
        return apis.map(api => {
            const service = this.services[api];
            if (!service) throw new Error(`API ${api} is not enabled for this cluster (enabled: ${Object.keys(this.services).join(", ")}): add it to requiredApis`);
            return service;
        });
    }
}
