// The Pulumi program: load and validate the stack's fleet config, build it, export what operators need.
import { loadFleetConfig } from "./components/config";
import { deployFleet } from "./components/fleet";
import { assertCompiledProgramCurrent } from "./components/programBuild";

assertCompiledProgramCurrent(__filename);
const fleet = deployFleet(loadFleetConfig());

/** Per cluster: provider, name, region, kubeconfig (secret), bucket URLs. */
export const clusters = fleet.outputs.clusters;
/** Per hub: URL, namespace, cluster, service-account annotations, cloud identity, bucket URLs. */
export const hubs = fleet.outputs.hubs;
