// A flow's id: deterministic from the sensor, the conversation and the start time.
import { hash } from 'node:crypto';
import { sha1Hex } from './sha1.ts';

/**
 * Deterministic: the same sensor, conversation and start time give the same id (64 bits,
 * hex): the first 8 bytes of SHA-1 over the sensor's own 8-byte key, the Community ID text
 * (28 characters after "1:") and the start time, one SHA-1 block.
 */
export function flowId(sensorId: string, communityId: string, tsStart: number): string {
  if (sensorId !== keyedSensor) {
    SENSOR_KEY.set(hash('sha1', sensorId, 'buffer').subarray(0, 8));
    keyedSensor = sensorId;
  }
  const m = FLOW_ID_SCRATCH;
  m.set(SENSOR_KEY, 0);
  const n = Math.min(communityId.length, 38);
  for (let i = 0; i < n; i++) m[8 + i] = communityId.charCodeAt(i) & 0xff;
  FLOW_ID_VIEW.setFloat64(8 + n, tsStart);
  return sha1Hex(m, 16 + n, 8);
}

const SENSOR_KEY = new Uint8Array(8);
let keyedSensor: string | null = null;
const FLOW_ID_SCRATCH = new Uint8Array(64);
const FLOW_ID_VIEW = new DataView(FLOW_ID_SCRATCH.buffer);
