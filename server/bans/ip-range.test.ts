/**
 * Addresses and ranges: golden bytes for every textual form, IPv4 and
 * IPv4-mapped IPv6 as one address, prefix matching at the boundaries, host-bit
 * clearing, refusals with a reason, and property tests (format/parse round
 * trip, RFC 5952 text checked against the WHATWG URL serializer, containment
 * checked against node:net's BlockList).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BlockList } from 'node:net';
import fc from 'fast-check';
import { formatAddress, parseAddress, parseAddressRange, rangeContains, type AddressRange } from './ip-range.ts';

/** 16 bytes from eight 16-bit groups. */
function groups(...g: number[]): Uint8Array {
  assert.equal(g.length, 8);
  const bytes = new Uint8Array(16);
  g.forEach((v, i) => {
    bytes[i * 2] = v >> 8;
    bytes[i * 2 + 1] = v & 0xff;
  });
  return bytes;
}

function range(text: string): AddressRange {
  const r = parseAddressRange(text);
  assert.ok(!('error' in r), `${text}: ${'error' in r ? r.error : ''}`);
  return r;
}

function address(text: string): Uint8Array {
  const a = parseAddress(text);
  assert.ok(a, text);
  return a;
}

describe('parseAddress', () => {
  const golden: [string, Uint8Array][] = [
    ['203.0.113.7', groups(0, 0, 0, 0, 0, 0xffff, 0xcb00, 0x7107)],
    ['0.0.0.0', groups(0, 0, 0, 0, 0, 0xffff, 0, 0)],
    ['255.255.255.255', groups(0, 0, 0, 0, 0, 0xffff, 0xffff, 0xffff)],
    ['::', groups(0, 0, 0, 0, 0, 0, 0, 0)],
    ['::1', groups(0, 0, 0, 0, 0, 0, 0, 1)],
    ['1::', groups(1, 0, 0, 0, 0, 0, 0, 0)],
    ['2001:db8::1', groups(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)],
    ['2001:DB8:0:0:8:800:200C:417A', groups(0x2001, 0xdb8, 0, 0, 8, 0x800, 0x200c, 0x417a)],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', groups(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)],
    ['1:2:3:4:5:6:7:8', groups(1, 2, 3, 4, 5, 6, 7, 8)],
    ['1:2:3:4:5:6:7::', groups(1, 2, 3, 4, 5, 6, 7, 0)], // "::" standing for one group
    ['::2:3:4:5:6:7:8', groups(0, 2, 3, 4, 5, 6, 7, 8)],
    ['fe80::1:2', groups(0xfe80, 0, 0, 0, 0, 0, 1, 2)],
    ['::ffff:203.0.113.7', groups(0, 0, 0, 0, 0, 0xffff, 0xcb00, 0x7107)],
    ['::FFFF:cb00:7107', groups(0, 0, 0, 0, 0, 0xffff, 0xcb00, 0x7107)],
    ['::1.2.3.4', groups(0, 0, 0, 0, 0, 0, 0x102, 0x304)], // IPv4-compatible (deprecated), not mapped
    ['64:ff9b::192.0.2.33', groups(0x64, 0xff9b, 0, 0, 0, 0, 0xc000, 0x221)],
    ['1:2:3:4:5:6:1.2.3.4', groups(1, 2, 3, 4, 5, 6, 0x102, 0x304)],
  ];
  for (const [text, bytes] of golden) {
    test(`${text}`, () => assert.deepEqual(parseAddress(text), bytes));
  }

  test('IPv4 and its IPv4-mapped IPv6 forms are the same 16 bytes', () => {
    assert.deepEqual(address('10.0.0.5'), address('::ffff:10.0.0.5'));
    assert.deepEqual(address('10.0.0.5'), address('0:0:0:0:0:ffff:a00:5'));
  });

  test('anything else is null', () => {
    const bad: unknown[] = [
      '', ' ', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1.2.3.4 ', ' 1.2.3.4', '1.2.3.4/32',
      'fe80::1%eth0', 'fe80::1%', '::1%1', '[::1]', '1::2::3', ':1::', '1:::2', '00001::', '1:2:3:4:5:6:7:8:9',
      '::ffff:01.2.3.4', 'localhost', 'g::1', null, undefined, 42,
    ];
    for (const text of bad) assert.equal(parseAddress(text as string), null, String(text));
  });
});

describe('formatAddress', () => {
  const golden: [Uint8Array, string][] = [
    [groups(0, 0, 0, 0, 0, 0, 0, 0), '::'],
    [groups(0, 0, 0, 0, 0, 0, 0, 1), '::1'],
    [groups(1, 0, 0, 0, 0, 0, 0, 0), '1::'],
    [groups(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1), '2001:db8::1'],
    [groups(0x2001, 0xdb8, 0, 1, 1, 1, 1, 1), '2001:db8:0:1:1:1:1:1'], // one zero group stays "0"
    [groups(0x2001, 0, 0, 1, 0, 0, 0, 1), '2001:0:0:1::1'], // the longest run wins
    [groups(0x2001, 0xdb8, 0, 0, 1, 0, 0, 1), '2001:db8::1:0:0:1'], // a tie: the first run
    [groups(0xabcd, 0xef01, 0x2345, 0x6789, 0xabcd, 0xef01, 0x2345, 0x6789), 'abcd:ef01:2345:6789:abcd:ef01:2345:6789'],
    [groups(0x0db8, 0x00a0, 0, 0, 0, 0, 0, 0x000f), 'db8:a0::f'], // no leading zeros
    [groups(0, 0, 0, 0, 0, 0xffff, 0xcb00, 0x7107), '203.0.113.7'],
    [groups(0, 0, 0, 0, 0, 0xffff, 0, 0), '0.0.0.0'],
    [groups(0, 0, 0, 0, 0, 0, 0x102, 0x304), '::102:304'], // IPv4-compatible is plain IPv6
    [groups(0, 0, 0, 0, 0, 0xfffe, 0, 0), '::fffe:0:0'],
    [groups(0, 0, 0, 0, 1, 0xffff, 0x102, 0x304), '::1:ffff:102:304'], // not mapped: byte 9 is set
  ];
  for (const [bytes, text] of golden) {
    test(`${text}`, () => assert.equal(formatAddress(bytes), text));
  }

  test('TypeError for anything but 16 bytes', () => {
    assert.throws(() => formatAddress(new Uint8Array(4)), TypeError);
    assert.throws(() => formatAddress(new Uint8Array(17)), TypeError);
    assert.throws(() => formatAddress([0, 0] as unknown as Uint8Array), TypeError);
  });
});

describe('parseAddressRange', () => {
  const golden: [string, string, number][] = [
    // input, canonical text, prefix in the 16-byte space
    ['203.0.113.7', '203.0.113.7/32', 128],
    ['203.0.113.9/24', '203.0.113.0/24', 120],
    ['203.0.113.9/32', '203.0.113.9/32', 128],
    ['203.0.113.9/31', '203.0.113.8/31', 127],
    ['203.0.113.255/25', '203.0.113.128/25', 121],
    ['10.200.3.4/8', '10.0.0.0/8', 104],
    ['10.200.3.4/9', '10.128.0.0/9', 105],
    ['255.255.255.255/1', '128.0.0.0/1', 97],
    ['1.2.3.4/0', '0.0.0.0/0', 96],
    ['::', '::/128', 128],
    ['::1', '::1/128', 128],
    ['::/0', '::/0', 0],
    ['ffff::/0', '::/0', 0],
    ['2001:DB8::1/32', '2001:db8::/32', 32],
    ['2001:db8:abcd:1234::9/48', '2001:db8:abcd::/48', 48],
    ['2001:db8:abcd:12ff::/55', '2001:db8:abcd:1200::/55', 55],
    ['2001:db8::ffff/127', '2001:db8::fffe/127', 127],
    ['fe80::1:2/64', 'fe80::/64', 64],
    ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/1', '8000::/1', 1],
    // IPv4-mapped with prefix ≥ 96 is the IPv4 range.
    ['::ffff:203.0.113.7', '203.0.113.7/32', 128],
    ['::ffff:203.0.113.7/120', '203.0.113.0/24', 120],
    ['::ffff:cb00:7107/104', '203.0.0.0/8', 104],
    ['::ffff:0:0/96', '0.0.0.0/0', 96],
    // …and below /96 it is not (the mask eats into the ffff).
    ['::ffff:203.0.113.7/95', '::fffe:0:0/95', 95],
    ['::ffff:203.0.113.7/80', '::/80', 80],
    ['::1.2.3.4/128', '::102:304/128', 128],
  ];
  for (const [input, text, prefix] of golden) {
    test(`${input} → ${text}`, () => {
      const r = range(input);
      assert.equal(r.text, text);
      assert.equal(r.prefix, prefix);
      // The canonical text parses back to the same range.
      const again = range(r.text);
      assert.deepEqual(again.bytes, r.bytes);
      assert.equal(again.prefix, r.prefix);
      assert.equal(again.text, r.text);
    });
  }

  test('host bits are zero in the bytes', () => {
    assert.deepEqual(range('203.0.113.9/24').bytes, address('203.0.113.0'));
    assert.deepEqual(range('2001:db8::1/32').bytes, address('2001:db8::'));
    assert.deepEqual(range('255.255.255.255/0').bytes, address('0.0.0.0'));
    assert.deepEqual(range('ffff::1/0').bytes, new Uint8Array(16));
  });

  test('each kind of bad input has its reason', () => {
    const cases: [unknown, string][] = [
      ['', 'not an IP address'],
      ['1.2.3', 'not an IP address'],
      [' 1.2.3.4', 'not an IP address'],
      ['1.2.3.4 ', 'not an IP address'],
      ['/24', 'not an IP address'],
      ['example.com/24', 'not an IP address'],
      ['1.2.3.4/33', 'prefix must be 0–32 for IPv4'],
      ['1.2.3.4/1000', 'prefix must be 0–32 for IPv4'],
      ['::/129', 'prefix must be 0–128 for IPv6'],
      ['::ffff:1.2.3.4/129', 'prefix must be 0–128 for IPv6'],
      ['1.2.3.4/', 'missing prefix length after "/"'],
      ['1.2.3.4/0x1', 'prefix must be a decimal number'],
      ['1.2.3.4/+8', 'prefix must be a decimal number'],
      ['1.2.3.4/-1', 'prefix must be a decimal number'],
      ['1.2.3.4/08', 'prefix must be a decimal number'],
      ['1.2.3.4/8 ', 'prefix must be a decimal number'],
      ['1.2.3.4/ 8', 'prefix must be a decimal number'],
      ['1.2.3.4/8/8', 'prefix must be a decimal number'],
      ['1.2.3.4/1e1', 'prefix must be a decimal number'],
      ['fe80::1%eth0', 'zone ids (%…) are not allowed in an address'],
      ['fe80::1%eth0/64', 'zone ids (%…) are not allowed in an address'],
      [null, 'not an IP address'],
      [24, 'not an IP address'],
    ];
    for (const [input, error] of cases) {
      assert.deepEqual(parseAddressRange(input as string), { error }, String(input));
    }
  });
});

describe('rangeContains', () => {
  test('an IPv4 range holds the IPv4-mapped form of its addresses', () => {
    const r = range('10.0.0.0/8');
    assert.equal(rangeContains(r, address('::ffff:10.0.0.5')), true);
    assert.equal(rangeContains(r, address('10.0.0.5')), true);
    assert.equal(rangeContains(r, address('10.255.255.255')), true);
    assert.equal(rangeContains(r, address('11.0.0.0')), false);
    assert.equal(rangeContains(r, address('9.255.255.255')), false);
    // The same 32 bits outside the ::ffff: prefix are another address.
    assert.equal(rangeContains(r, address('::a00:5')), false);
    assert.equal(rangeContains(range('::ffff:10.0.0.0/104'), address('10.1.2.3')), true);
  });

  test('::/0 holds every address; 0.0.0.0/0 holds every IPv4 address and no other', () => {
    const all = range('::/0');
    const allV4 = range('0.0.0.0/0');
    for (const text of ['::', '::1', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', '2001:db8::1', '0.0.0.0', '255.255.255.255']) {
      assert.equal(rangeContains(all, address(text)), true, text);
    }
    for (const text of ['0.0.0.0', '1.2.3.4', '255.255.255.255', '::ffff:8.8.8.8']) {
      assert.equal(rangeContains(allV4, address(text)), true, text);
    }
    for (const text of ['::', '::1', '2001:db8::1', '::fffe:ffff:ffff', '::1:ffff:0:0']) {
      assert.equal(rangeContains(allV4, address(text)), false, text);
    }
  });

  test('/32 and /128 hold exactly one address', () => {
    const v4 = range('203.0.113.7');
    assert.equal(rangeContains(v4, address('203.0.113.7')), true);
    assert.equal(rangeContains(v4, address('203.0.113.6')), false);
    assert.equal(rangeContains(v4, address('203.0.113.8')), false);
    const v6 = range('2001:db8::7');
    assert.equal(rangeContains(v6, address('2001:db8::7')), true);
    assert.equal(rangeContains(v6, address('2001:db8::6')), false);
    assert.equal(rangeContains(v6, address('2001:db8::7:0')), false);
  });

  test('prefixes that end inside a byte compare only the leading bits', () => {
    const r = range('203.0.113.128/25');
    assert.equal(rangeContains(r, address('203.0.113.128')), true);
    assert.equal(rangeContains(r, address('203.0.113.255')), true);
    assert.equal(rangeContains(r, address('203.0.113.127')), false);
    const one = range('8000::/1');
    assert.equal(rangeContains(one, address('8000::')), true);
    assert.equal(rangeContains(one, address('ffff::1')), true);
    assert.equal(rangeContains(one, address('7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff')), false);
    const r127 = range('2001:db8::fffe/127');
    assert.equal(rangeContains(r127, address('2001:db8::ffff')), true);
    assert.equal(rangeContains(r127, address('2001:db8::fffd')), false);
  });

  test('TypeError for an address that is not 16 bytes', () => {
    assert.throws(() => rangeContains(range('::/0'), new Uint8Array(4)), TypeError);
  });
});

describe('properties', () => {
  /** Addresses with zero groups common enough to exercise "::", plus IPv4-mapped ones. */
  const arbGroups = fc.array(fc.oneof(fc.constant(0), fc.constant(0xffff), fc.integer({ min: 0, max: 0xffff })), {
    minLength: 8,
    maxLength: 8,
  });
  const arbV6 = fc.oneof(
    arbGroups.map((g) => groups(...g)),
    fc.uint8Array({ minLength: 16, maxLength: 16 }),
  );
  const arbMapped = fc.uint8Array({ minLength: 4, maxLength: 4 }).map((v4) => {
    const bytes = groups(0, 0, 0, 0, 0, 0xffff, 0, 0);
    bytes.set(v4, 12);
    return bytes;
  });
  const arbAddress = fc.oneof(arbV6, arbMapped);

  test('format then parse gives the same 16 bytes back', () => {
    fc.assert(
      fc.property(arbAddress, (bytes) => {
        assert.deepEqual(parseAddress(formatAddress(bytes)), bytes);
      }),
      { numRuns: 2000 },
    );
  });

  test('the IPv6 text is what the WHATWG URL serializer writes (also RFC 5952 compression)', () => {
    fc.assert(
      fc.property(arbV6, (bytes) => {
        const text = formatAddress(bytes);
        if (text.includes('.')) return; // IPv4-mapped: written as a dotted quad on purpose
        const full: string[] = [];
        for (let i = 0; i < 16; i += 2) full.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
        assert.equal(text, new URL(`http://[${full.join(':')}]/`).hostname.slice(1, -1));
      }),
      { numRuns: 2000 },
    );
  });

  test('an address is inside its own /n for every n, and its range text is canonical', () => {
    fc.assert(
      fc.property(arbAddress, (bytes) => {
        const text = formatAddress(bytes);
        const v4 = text.includes('.');
        for (let n = 0; n <= (v4 ? 32 : 128); n++) {
          const r = range(`${text}/${n}`);
          assert.equal(rangeContains(r, bytes), true, `${text}/${n}`);
          assert.equal(r.prefix, v4 ? n + 96 : n);
          assert.equal(range(r.text).text, r.text);
        }
      }),
      { numRuns: 300 },
    );
  });

  test('containment agrees with node:net BlockList', () => {
    fc.assert(
      fc.property(arbV6, arbV6, fc.integer({ min: 0, max: 128 }), (net, probe, n) => {
        const netText = formatAddress(net);
        const probeText = formatAddress(probe);
        // BlockList wants IPv6 text; spell mapped addresses in hex so it sees the same bits.
        const v6 = (text: string) => (text.includes('.') ? `::ffff:${text}` : text);
        const list = new BlockList();
        list.addSubnet(v6(netText), n, 'ipv6');
        const r = range(`${v6(netText)}/${n}`);
        assert.equal(rangeContains(r, probe), list.check(v6(probeText), 'ipv6'), `${r.text} ∋ ${probeText}`);
        // A probe sharing the first n bits is always inside.
        const near = probe.slice();
        for (let bit = 0; bit < n; bit++) {
          const mask = 0x80 >> (bit & 7);
          near[bit >> 3] = (near[bit >> 3]! & ~mask) | (net[bit >> 3]! & mask);
        }
        assert.equal(rangeContains(r, near), true);
      }),
      { numRuns: 2000 },
    );
  });
});
