// The API on this origin, and who is signed in. The access token lives in
// this module's memory only; the refresh token in this tab's
// sessionStorage (never localStorage, as the contract says), so a reload
// stays signed in and closing the tab forgets it. Tabs opened from this one
// share it: each rotation and each sign-out is told to the others.

/** A failed call, with the problem document the API answered. */
export class ApiError extends Error {
  constructor(status, problem, requestId, retryAfter) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    this.code = problem.code;
    this.requestId = requestId;
    this.retryAfter = retryAfter;
  }
}

const REFRESH = "ferrocart.refresh";
const channel = "BroadcastChannel" in window ? new BroadcastChannel("ferrocart.session") : null;
let session = null; // { token, user }
let refreshing = null; // the one refresh in flight
const listeners = new Set();
const changed = () => listeners.forEach((f) => f());

function keep(tokens) {
  session = { token: tokens.access_token, user: tokens.user };
  sessionStorage.setItem(REFRESH, tokens.refresh_token);
  changed();
}

function forget() {
  session = null;
  sessionStorage.removeItem(REFRESH);
  changed();
}

/** Signed out here and in the tabs that share this session. */
function endHere() {
  forget();
  channel?.postMessage({ type: "signed-out" });
}

channel?.addEventListener("message", ({ data }) => {
  if (data?.type === "signed-out") forget();
  // Another tab rotated the refresh token this one shares: keep the new one.
  if (data?.type === "rotated" && sessionStorage.getItem(REFRESH)) sessionStorage.setItem(REFRESH, data.refresh_token);
});

/** A new pair for the stored refresh token; false (and signed out) when refused. */
function refresh() {
  const token = sessionStorage.getItem(REFRESH);
  if (!token) return Promise.resolve(false);
  refreshing ??= fetch("/users/token", {
    method: "POST",
    headers: { accept: "application/json", "content-type": "application/json" },
    body: JSON.stringify({ grant_type: "refresh_token", refresh_token: token }),
  })
    .then(async (response) => {
      if (!response.ok) {
        // Refused (reused, revoked, expired): the session is over.
        if (response.status === 401) forget();
        return false;
      }
      const tokens = await response.json();
      keep(tokens);
      channel?.postMessage({ type: "rotated", refresh_token: tokens.refresh_token });
      return true;
    })
    .catch(() => false)
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

export const auth = {
  get user() {
    return session?.user ?? null;
  },
  get isAdmin() {
    return session?.user?.role === "admin";
  },
  /** After a login: the Token document. */
  signIn(tokens) {
    keep(tokens);
  },
  /** Ends this session at the API, here and in the tabs that share it. */
  async signOut() {
    const token = sessionStorage.getItem(REFRESH);
    if (session && token) {
      await fetch("/users/logout", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${session.token}` },
        body: JSON.stringify({ refresh_token: token }),
      }).catch(() => {});
    }
    endHere();
  },
  /**
   * After the account's sessions were ended at the API (sign out
   * everywhere, a password change): forget this one, here and in the tabs
   * that share it.
   */
  ended() {
    endHere();
  },
  /** The account changed (a new e-mail address): the stored user follows. */
  updated(user) {
    if (session) {
      session.user = user;
      changed();
    }
  },
  /** The shopper's address was just confirmed. */
  verified() {
    if (session) {
      session.user = { ...session.user, email_verified: true };
      changed();
    }
  },
  /** On load: back in with the tab's refresh token, if it has one. */
  restore: refresh,
  /** Runs `f` whenever someone signs in or out. */
  watch(f) {
    listeners.add(f);
  },
};

/**
 * One call: JSON in and out, the bearer token when signed in. Answers
 * `{ status, body, etag, replayed }`; a problem document throws `ApiError`.
 * `headers` adds `Idempotency-Key` or `If-Match`.
 */
export async function request(path, { method = "GET", body, headers = {} } = {}, retried = false) {
  const init = { method, headers: { accept: "application/json", ...headers } };
  if (session) init.headers.authorization = `Bearer ${session.token}`;
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const text = await response.text();
  let parsed = {};
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    parsed = { detail: `The shop answered ${response.status} without a readable body.` };
  }
  // A wrong password is the shopper's mistake, not the token's.
  const tokenRefused = response.status === 401 && parsed.code !== "invalid_credentials";
  // The access token ran out (15 minutes) or was cut off: one refresh, then
  // the same call again with the same headers (an Idempotency-Key stays the same).
  if (tokenRefused && session && !retried && (await refresh())) {
    return request(path, { method, body, headers }, true);
  }
  if (!response.ok) {
    // Still refused: the shopper is signed out.
    if (tokenRefused && session && path !== "/users/login") forget();
    throw new ApiError(response.status, parsed, response.headers.get("x-request-id"), response.headers.get("retry-after"));
  }
  return {
    status: response.status,
    body: parsed,
    etag: response.headers.get("etag"),
    replayed: response.headers.get("idempotent-replayed") === "true",
  };
}

/** The body of a successful call. */
export const api = async (path, options) => (await request(path, options)).body;

/** A fresh `Idempotency-Key`. */
export const newKey = () => crypto.randomUUID();
