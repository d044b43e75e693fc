// The Pulumi program: load and validate the stack's fleet config, build it, export what operators need.
import { loadFleetConfig } from "./components/config";
import { deployFleet } from "./components/fleet";
import { assertCompiledProgramCurrent } from "./components/programBuild";

assertCompiledProgramCurrent(__filename);
const fleet = deployFleet(loadFleetConfig());

/** Per cluster: provider, name, region, bucket URLs, and where Grafana is and where its admin password lives. */
export const clusters = fleet.outputs.clusters;
/** Kubeconfig per cluster; secret as a whole, so CI masks it. */
export const kubeconfigs = fleet.outputs.kubeconfigs;
/** Per hub: URL, proxy address (for DNS), namespace, cluster, service-account annotations, cloud identity, bucket URLs. */
export const hubs = fleet.outputs.hubs;
