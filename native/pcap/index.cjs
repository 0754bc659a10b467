// Loads the compiled binding; lib/capture/pcap.ts wraps it (types, errors, the ring reader).
module.exports = require('./build/Release/nids_pcap.node');
