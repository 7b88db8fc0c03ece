// The njs half of target (b′), nginx + njs doing hubgate's job (stage 8, SPEC §2): check
// X-Hub-Signature-256 = "sha256=" + hex HMAC-SHA256(raw body, app secret) against every accepted
// secret, refuse with 401, else hand the request (its body already read) to the proxying
// location. nginx.mjs prepends `var SECRETS = [...]`. Written for njs 0.7 (Debian 12's
// libnginx-mod-http-js): `var`, no for-of. njs has no constant-time comparison (no
// crypto.timingSafeEqual), so the digest is compared with ===, as njs users do; it computes every
// secret's HMAC without stopping early, like hubgate.
var crypto = require('crypto');

function verify(r) {
  var header = r.headersIn['X-Hub-Signature-256'];
  if (typeof header !== 'string' || header.length !== 71 || header.slice(0, 7) !== 'sha256=') {
    r.return(401);
    return;
  }
  // The raw body as received; undefined if nginx spilled it to a file (client_body_buffer_size
  // is raised to the body limit so it never does).
  var body = r.requestBuffer;
  if (body === undefined) {
    r.return(413);
    return;
  }
  var presented = header.slice(7).toLowerCase();
  var ok = false;
  for (var i = 0; i < SECRETS.length; i++) {
    if (crypto.createHmac('sha256', SECRETS[i]).update(body).digest('hex') === presented) ok = true;
  }
  if (!ok) {
    r.return(401);
    return;
  }
  r.internalRedirect('/__forward' + r.uri);
}

export default { verify };
