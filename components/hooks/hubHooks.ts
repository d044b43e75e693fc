/**
 * The hub-side Python a hub's own config asks for (as opposed to its platform's): Vault user secrets and OIDC
 * token exchange at spawn, GitHub teams as groups at login, profiles restricted to groups, as `hub.extraConfig` entries.
 */
import { HubSpec, profileGroups } from "../config";
import { GITHUB_TEAM_GROUPS, GITHUB_TEAMS_KEY } from "./githubTeams";
import { PROFILE_GROUPS, PROFILE_GROUPS_KEY } from "./profileGroups";
import { tokenExchangeHook } from "./tokenExchange";
import { vaultUserSecretsHook } from "./vaultHook";
import { withSpawnHookRunner } from "./spawnHooks";

/**
 * extraConfig keys. z2jh runs entries in key order: Vault first, so a uid from Vault is in place before
 * anything later looks at the spawner, and both after the runner (`00-…`) that defines their list.
 */
export const VAULT_HOOK_KEY = "40-vault-user-secrets";
export const TOKEN_EXCHANGE_HOOK_KEY = "45-token-exchange";

/** `hub.extraConfig` entries (name -> Python source) for `hub`'s auth, with the spawn hook runner when a hook needs it. */
export function hubAuthHooks(hub: HubSpec): Record<string, string> {
    const entries: Record<string, string> = {};
    const vault = hub.userSecrets?.vault;
    if (vault) {
        entries[VAULT_HOOK_KEY] = vaultUserSecretsHook(vault);
    }
    if (hub.auth.type === "oidc" && hub.auth.tokenExchange) {
        entries[TOKEN_EXCHANGE_HOOK_KEY] = tokenExchangeHook(hub.auth.tokenExchange, hub.auth.tokenUrl);
    }
    const groupProfiles = profileGroups(hub.profiles).length > 0;
    if (hub.auth.type === "github" && (hub.auth.adminTeams?.length || groupProfiles)) {
        entries[GITHUB_TEAMS_KEY] = GITHUB_TEAM_GROUPS;
    }
    if (groupProfiles) {
        entries[PROFILE_GROUPS_KEY] = PROFILE_GROUPS;
    }
    return withSpawnHookRunner(entries);
}
