// Prerequisites: nginx and its njs module from Debian packages, taskset, and redis-server for
// the Redis-store events scenarios. Installing never starts a system nginx or redis: the benchmark only runs
// processes of its own, from generated configs or command lines.
import { spawnSync } from 'node:child_process';
import { existsSync, unlinkSync, writeFileSync } from 'node:fs';
import { nginxBinary, njsModule } from './nginx.mjs';

const POLICY_RC_D = '/usr/sbin/policy-rc.d';
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
const hasCandidate = (pkg) => /Candidate: (?!\(none\))\S+/.test(spawnSync('apt-cache', ['policy', pkg], { encoding: 'utf8' }).stdout ?? '');

/** apt-get install, with the package lists refreshed first if they know none of `pkgs`. The
 *  packages' postinst would start a system nginx on :80 or redis on :6379 (invoke-rc.d):
 *  service starts are forbidden during the install (policy-rc.d exit 101, Debian's mechanism
 *  for this) unless the machine already has a policy. */
function aptInstall(pkgs, say) {
  if (process.getuid?.() !== 0) throw new Error(`missing ${pkgs.join(' or ')} and this is not root: apt-get install -y ${pkgs[0]} (or run as root)`);
  if (!pkgs.some(hasCandidate)) {
    say(`no candidate for ${pkgs.join(' / ')} in the package lists: apt-get update`);
    spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
  }
  const pkg = pkgs.find(hasCandidate) ?? pkgs[0];
  say(`installing ${pkg} from Debian packages`);
  const ownPolicy = !existsSync(POLICY_RC_D);
  if (ownPolicy) writeFileSync(POLICY_RC_D, '#!/bin/sh\n# temporary, written by hubgate bench/run.mjs during apt-get install\nexit 101\n', { mode: 0o755 });
  let r;
  try {
    r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', pkg], { stdio: 'inherit', env });
  } finally {
    if (ownPolicy) unlinkSync(POLICY_RC_D);
  }
  if (r.status !== 0) throw new Error(`apt-get install ${pkg} failed`);
}

export function ensureNginx(say) {
  if (!nginxBinary()) aptInstall(['nginx-light', 'nginx'], say);
  if (!nginxBinary()) throw new Error('nginx still missing after apt-get install');
  // Target (b′), nginx + njs: Debian's dynamic module, loaded only by that target's config.
  if (!njsModule()) aptInstall(['libnginx-mod-http-js'], say);
  if (!njsModule()) throw new Error('ngx_http_js_module.so still missing after apt-get install libnginx-mod-http-js');
}

export function ensureTaskset() {
  if (spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status !== 0) throw new Error('taskset not found (Debian: apt-get install util-linux)');
}

const hasRedis = () => spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;

/** redis-server for the Redis-store events scenarios (unless `--skip-events-redis`). */
export function ensureRedis(say) {
  if (!hasRedis()) aptInstall(['redis-server'], say);
  if (!hasRedis()) throw new Error('redis-server still missing after apt-get install redis-server');
}
