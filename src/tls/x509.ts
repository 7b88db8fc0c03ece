// @peculiar/x509 resolves its ASN.1 providers through tsyringe, which needs a Reflect
// polyfill loaded first. Import x509 from here, never directly, so the order always holds.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export { x509 };
