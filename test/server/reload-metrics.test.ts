// hubgate_reloads_total{result}: a reload that was applied and one that was refused (the running
// configuration keeps serving) are both counted, so a dashboard shows a broken config file.
import { describe, it, expect } from 'vitest';
import { writeFileSync } from 'node:fs';
import { useGateway } from '../helpers/fixture.js';
import { reloadFromFile } from '../../src/server/reload.js';
import { createLogger } from '../../src/log.js';

const { gw } = useGateway();
const silent = createLogger('silent');
const count = async (result: string) =>
  (await gw.gateway.metrics.reloads.get()).values.find((v) => v.labels.result === result)?.value ?? 0;

describe('hubgate_reloads_total', () => {
  it('counts an applied reload and a refused one', async () => {
    expect(reloadFromFile(gw.gateway, silent)).not.toBeNull();
    expect(await count('applied')).toBe(1);
    writeFileSync(gw.config.file, 'listen: [not, a, mapping]\n');
    expect(reloadFromFile(gw.gateway, silent)).toBeNull();
    expect(await count('refused')).toBe(1);
    expect(await count('applied')).toBe(1);
  });
});
