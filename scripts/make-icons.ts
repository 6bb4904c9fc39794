/**
 * Writes the PWA icons in client/public/ as PNGs, drawn from the favicon's
 * shape (client/public/favicon.svg: a blue rounded square with four white
 * level bars). Chromium's installability check wants raster icons of at least
 * 144 px, so the SVG alone is not enough. No image library: each pixel is
 * 4×4 supersampled against the shapes and the PNG is assembled with node:zlib.
 *
 *   npx node scripts/make-icons.ts
 */
import { crc32, deflateSync } from 'node:zlib';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const OUT = fileURLToPath(new URL('../client/public/', import.meta.url));

/** The favicon's design, in its 64×64 viewBox. */
const VIEW = 64;
const CORNER = 14;
const BLUE = [0x2b, 0x6c, 0xb0] as const;
const WHITE = [0xff, 0xff, 0xff] as const;
const BAR_HALF_WIDTH = 2.5;
/** Vertical bars with round caps: x, y from, y to. */
const BARS: ReadonlyArray<readonly [number, number, number]> = [
  [20, 24, 40],
  [28, 18, 46],
  [36, 22, 42],
  [44, 28, 36],
];

interface Icon {
  file: string;
  size: number;
  /**
   * Full-bleed square background instead of the rounded one: for maskable
   * icons (the platform applies its own mask) and Apple's touch icon (no
   * transparency). The bars sit within 28 % of the centre, inside the 40 %
   * safe zone of a maskable icon, so the same drawing serves both.
   */
  square: boolean;
}

const ICONS: Icon[] = [
  { file: 'pwa-192x192.png', size: 192, square: false },
  { file: 'pwa-512x512.png', size: 512, square: false },
  { file: 'maskable-icon-512x512.png', size: 512, square: true },
  { file: 'apple-touch-icon-180x180.png', size: 180, square: true },
];

function onBar(x: number, y: number): boolean {
  for (const [bx, y0, y1] of BARS) {
    const cy = Math.min(Math.max(y, y0), y1);
    if ((x - bx) ** 2 + (y - cy) ** 2 <= BAR_HALF_WIDTH ** 2) return true;
  }
  return false;
}

function inRoundedSquare(x: number, y: number): boolean {
  if (x < 0 || y < 0 || x > VIEW || y > VIEW) return false;
  const cx = Math.min(Math.max(x, CORNER), VIEW - CORNER);
  const cy = Math.min(Math.max(y, CORNER), VIEW - CORNER);
  return (x - cx) ** 2 + (y - cy) ** 2 <= CORNER ** 2;
}

/** RGBA pixels, straight (not premultiplied) alpha. */
function draw(icon: Icon): Uint8Array {
  const { size } = icon;
  const n = 4;
  const rgba = new Uint8Array(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (let sy = 0; sy < n; sy++) {
        for (let sx = 0; sx < n; sx++) {
          const x = ((px + (sx + 0.5) / n) / size) * VIEW;
          const y = ((py + (sy + 0.5) / n) / size) * VIEW;
          const colour = onBar(x, y) ? WHITE : icon.square || inRoundedSquare(x, y) ? BLUE : null;
          if (colour === null) continue;
          r += colour[0];
          g += colour[1];
          b += colour[2];
          a += 1;
        }
      }
      const i = (py * size + px) * 4;
      if (a > 0) {
        rgba[i] = Math.round(r / a);
        rgba[i + 1] = Math.round(g / a);
        rgba[i + 2] = Math.round(b / a);
      }
      rgba[i + 3] = Math.round((a / (n * n)) * 255);
    }
  }
  return rgba;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

function encodePng(width: number, height: number, rgba: Uint8Array): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // colour type: truecolour with alpha
  ihdr[10] = 0; // compression: deflate
  ihdr[11] = 0; // filter method 0
  ihdr[12] = 0; // no interlace
  // Each scanline is prefixed with its filter type; 0 (none) keeps this simple and deflate does the rest.
  const raw = Buffer.alloc(height * (1 + width * 4));
  for (let y = 0; y < height; y++) {
    raw[y * (1 + width * 4)] = 0;
    raw.set(rgba.subarray(y * width * 4, (y + 1) * width * 4), y * (1 + width * 4) + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

for (const icon of ICONS) {
  const png = encodePng(icon.size, icon.size, draw(icon));
  await writeFile(OUT + icon.file, png);
  process.stdout.write(`${icon.file}: ${icon.size}×${icon.size}, ${png.length} bytes\n`);
}
