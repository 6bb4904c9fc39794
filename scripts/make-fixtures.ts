/**
 * Writes the generated fixture WAVs (48 kHz mono 16-bit) that bots and manual
 * tests use: `npm run fixtures` → e2e/fixtures/{speech,tone}.wav.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { speechLike, tone } from '../shared/audio/synth.ts';
import { encodeWav } from '../shared/audio/wav.ts';

const dir = fileURLToPath(new URL('../e2e/fixtures/', import.meta.url));
await mkdir(dir, { recursive: true });
await writeFile(dir + 'speech.wav', encodeWav(speechLike({ seconds: 8, seed: 7 }), 48_000));
await writeFile(dir + 'tone.wav', encodeWav(tone(4, 440, 0.5), 48_000));
process.stdout.write(`wrote ${dir}speech.wav and ${dir}tone.wav\n`);
