/**
 * The HTTP client that spawn hooks share, as Python source. Hooks run inside the hub process, so they may use
 * only the standard library (the hub image's packages are the hub's, not ours to rely on); the call is
 * blocking, and hooks run it with `asyncio.to_thread` so one slow identity provider or Vault does not stall
 * every other user's requests on the hub's event loop.
 */

/** Seconds a hook waits for one HTTP answer: a spawn should fail with a message, not hang until KubeSpawner's timeout. */
export const HOOK_HTTP_TIMEOUT_SECONDS = 10;

/**
 * Python defining `functionName(service, method, url, body=None, headers=None)` -> `(status, decoded JSON or
 * None)`. HTTP error statuses are returned, not raised, so the hook can explain them; an unreachable
 * service raises RuntimeError naming `service` and the URL. Each snippet defines its own copy under its own
 * name: z2jh exec()s every extraConfig entry in one namespace, and a shared name would let one snippet
 * silently replace another's helper.
 */
export function pythonHttpHelper(functionName: string): string {
    return `def ${functionName}(service, method, url, body=None, headers=None):
    request = urllib.request.Request(url, data=body, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=${HOOK_HTTP_TIMEOUT_SECONDS}) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    except OSError as error:
        reason = getattr(error, "reason", error)
        raise RuntimeError(f"{service} at {url} could not be reached: {reason}") from None
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, None
`;
}
