// Stage 6: Meta's subscription check `GET ?hub.mode=subscribe&hub.challenge=…&hub.verify_token=…`,
// answered by the gateway when the app has a verifyToken (SPEC.md §2).
import { describe, it, expect } from 'vitest';
import { verifyToken } from '../../src/pipeline/verify-token.js';

const TOKEN = Buffer.from('meatyhamhock');

function subscribe(params: Record<string, string>): string {
  return `/webhooks/shop?${new URLSearchParams({ 'hub.mode': 'subscribe', ...params }).toString()}`;
}

describe('verify-token', () => {
  it('answers a matching token with the challenge exactly', () => {
    const url = subscribe({ 'hub.challenge': '1158201444', 'hub.verify_token': 'meatyhamhock' });
    expect(verifyToken('GET', url, TOKEN)).toEqual({ challenge: '1158201444' });
  });

  it('returns the challenge as a string, leading zeros kept', () => {
    const url = subscribe({ 'hub.challenge': '0012345', 'hub.verify_token': 'meatyhamhock' });
    expect(verifyToken('GET', url, TOKEN)).toEqual({ challenge: '0012345' });
  });

  it('accepts the parameters in any order', () => {
    const url = '/webhooks/shop?hub.verify_token=meatyhamhock&hub.challenge=42&hub.mode=subscribe';
    expect(verifyToken('GET', url, TOKEN)).toEqual({ challenge: '42' });
  });

  it('refuses a different token as verify_token_mismatch', () => {
    const url = subscribe({ 'hub.challenge': '1', 'hub.verify_token': 'meatyhamhocK' });
    expect(verifyToken('GET', url, TOKEN)).toEqual({ stage: 'verify_token', reason: 'verify_token_mismatch', status: 403 });
  });

  it('refuses a token that is only a prefix of the expected one', () => {
    const url = subscribe({ 'hub.challenge': '1', 'hub.verify_token': 'meaty' });
    expect(verifyToken('GET', url, TOKEN)).toMatchObject({ reason: 'verify_token_mismatch' });
  });

  it('refuses a token that extends the expected one', () => {
    const url = subscribe({ 'hub.challenge': '1', 'hub.verify_token': 'meatyhamhock2' });
    expect(verifyToken('GET', url, TOKEN)).toMatchObject({ reason: 'verify_token_mismatch' });
  });

  it('refuses a missing token as verify_token_mismatch', () => {
    expect(verifyToken('GET', subscribe({ 'hub.challenge': '1' }), TOKEN)).toMatchObject({ reason: 'verify_token_mismatch', status: 403 });
  });

  it('refuses an empty token as verify_token_mismatch', () => {
    const url = subscribe({ 'hub.challenge': '1', 'hub.verify_token': '' });
    expect(verifyToken('GET', url, TOKEN)).toMatchObject({ reason: 'verify_token_mismatch' });
  });

  it('lets a GET that is not a subscription check through (null)', () => {
    expect(verifyToken('GET', '/webhooks/shop', TOKEN)).toBeNull();
    expect(verifyToken('GET', '/webhooks/shop?hub.mode=unsubscribe&hub.verify_token=x', TOKEN)).toBeNull();
  });

  it('lets a POST through even with subscription parameters (null)', () => {
    const url = subscribe({ 'hub.challenge': '1', 'hub.verify_token': 'wrong' });
    expect(verifyToken('POST', url, TOKEN)).toBeNull();
  });

  it('lets the check through to the upstream when the app has no verifyToken (null)', () => {
    const url = subscribe({ 'hub.challenge': '1', 'hub.verify_token': 'anything' });
    expect(verifyToken('GET', url, undefined)).toBeNull();
  });

  it('never echoes the expected token in a refusal', () => {
    const url = subscribe({ 'hub.challenge': '1', 'hub.verify_token': 'wrong' });
    expect(JSON.stringify(verifyToken('GET', url, TOKEN))).not.toContain('meatyhamhock');
  });
});
