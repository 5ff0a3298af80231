// The API on this origin, and who is signed in. The access token lives in
// this module's memory only (never in storage, as the contract says): a
// reload signs the shopper out, the cart and its order key survive it.

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

let session = null; // { token, user }
const listeners = new Set();

export const auth = {
  get user() {
    return session?.user ?? null;
  },
  get isAdmin() {
    return session?.user?.role === "admin";
  },
  signIn(token, user) {
    session = { token, user };
    listeners.forEach((f) => f());
  },
  signOut() {
    session = null;
    listeners.forEach((f) => f());
  },
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
export async function request(path, { method = "GET", body, headers = {} } = {}) {
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
  if (!response.ok) {
    // An expired or revoked token: the shopper is signed out, and told so.
    if (response.status === 401 && session) auth.signOut();
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
