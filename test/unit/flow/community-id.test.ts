// The Community ID spec's published baseline vectors (seed 0 and 1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { communityId } from '../../../lib/flow/community-id.ts';
import { ipBytes } from '../../../lib/features/cidr.ts';

const ip = (s: string) => ipBytes(s)!;

const VECTORS: [string, string, number, number, number, number, string][] = [
  ['1.2.3.4', '5.6.7.8', 6, 1122, 3344, 0, '1:wCb3OG7yAFWelaUydu0D+125CLM='],
  ['1.2.3.4', '5.6.7.8', 17, 1122, 3344, 0, '1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg='],
  ['1.2.3.4', '5.6.7.8', 1, 8, 0, 0, '1:crodRHL2FEsHjbv3UkRrfbs4bZ0='],
  ['fe80:1:203:405:607:809:a0b:c0d', 'fe80:1011:1213:1415:1617:1819:1a1b:1c1d', 58, 128, 0, 0, '1:0bf7hyMJUwt3fMED7z8LIfRpBeo='],
  ['1.2.3.4', '5.6.7.8', 46, 0, 0, 0, '1:ikv3kmf89luf73WPz1jOs49S768='],
  ['1.2.3.4', '5.6.7.8', 6, 1122, 3344, 1, '1:HhA1B+6CoLbiKPEs5nhNYN4XWfk='],
  ['1.2.3.4', '5.6.7.8', 17, 1122, 3344, 1, '1:OShq+iKDAMVouh/4bMxB9Sz4amw='],
  ['1.2.3.4', '5.6.7.8', 1, 8, 0, 1, '1:9pr4ZGTICiuZoIh90RRYE2RyXpU='],
];

test('matches the spec vectors, in both directions', () => {
  for (const [a, b, proto, sp, dp, seed, want] of VECTORS) {
    assert.equal(communityId(ip(a), ip(b), proto, sp, dp, seed), want, `${a}:${sp} -> ${b}:${dp} proto ${proto} seed ${seed}`);
    if (proto === 6 || proto === 17) assert.equal(communityId(ip(b), ip(a), proto, dp, sp, seed), want, 'reverse direction');
  }
  // ICMP echo reply hashes like its request.
  assert.equal(communityId(ip('5.6.7.8'), ip('1.2.3.4'), 1, 0, 0), '1:crodRHL2FEsHjbv3UkRrfbs4bZ0=');
});
