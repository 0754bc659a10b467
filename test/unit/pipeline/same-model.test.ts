// The embedded mode, the services and the benchmarks build the same model from the same
// baseline: each takes its training and flow settings from the one config schema, so
// none can drift to defaults of its own (lib/config/stages.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, pick } from '../../../lib/config/index.ts';
import { trainingSettings } from '../../../lib/config/stages.ts';
import type { Flow } from '../../../lib/flow/record.ts';
import { modelId } from '../../../lib/modelstore/index.ts';
import { readFlows } from '../../../lib/pipeline/source.ts';
import { trainOnBaseline } from '../../../lib/pipeline/train.ts';
import { writeSimulatedPcap } from '../../../lib/sim/pcap.ts';
import { analyze, analyzeSpec } from '../../../cli/analyze.ts';
import { sensorService } from '../../../services/sensor/main.ts';
import { trainerService } from '../../../services/trainer/main.ts';
import { benchModel } from '../../../bench/pipeline.ts';

test('analyze, sensor + trainer services and the pipeline bench train one model from one baseline', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nids-same-model-'));
  const baseline = join(dir, 'baseline.pcap');
  const input = join(dir, 'input.pcap');
  await writeSimulatedPcap(baseline, { seed: 11, durationS: 60, startMicros: 1.7e15, hosts: 8, flowsPerSecond: 5, attacks: [] });
  await writeSimulatedPcap(input, { seed: 12, durationS: 20, startMicros: 1.7e15 + 120e6, hosts: 8, flowsPerSecond: 5, attacks: ['portscan'] });
  const noEnv = {};

  // Embedded: nids analyze with no options.
  const embedded = await analyze(loadConfig(analyzeSpec, ['--baseline', baseline, '--input', input, '--out', join(dir, 'out')], noEnv).config);

  // Distributed: the sensor service's flow settings, the trainer service's training settings.
  const sensor = loadConfig(sensorService.spec, ['--input', baseline, '--sensor-id', 'embedded'], noEnv).config;
  const flows: Flow[] = [];
  await readFlows(baseline, sensor, null, (f) => flows.push(f));
  assert.equal(flows.length, embedded.baselineFlows);
  const trainer = loadConfig(trainerService.spec, [], noEnv).config;
  const service = trainOnBaseline(flows, trainer.scope, pick(trainingSettings, trainer));
  assert.equal(modelId(service.bytes), embedded.modelId, 'the trainer service and nids analyze');

  // The benchmark: trainOnBaseline with no options.
  assert.equal(modelId(benchModel(flows).detector.serialize()), embedded.modelId, 'npm run bench -- pipeline and nids analyze');
  assert.equal(JSON.parse(service.meta.params).contamination, 0.005);
  assert.ok((JSON.parse(service.meta.params).internalCidrs as string[]).includes('127.0.0.0/8'));
});
