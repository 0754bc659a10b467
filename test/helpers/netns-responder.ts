// The far end of the live-capture tests, run inside their network namespace:
//   node --import tsx netns-responder.ts <addr> <tcpPort> <udpPort>
// TCP: reads until the client half-closes, answers tcpReplyBytes(received) bytes, closes.
// UDP: answers every datagram with udpReplyBytes(its length) bytes. Prints "ready" once
// both listen; exits on SIGTERM or SIGINT.
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { tcpReplyBytes, udpReplyBytes } from './netns.ts';

const [addr, tcpPort, udpPort] = process.argv.slice(2);
let ready = 0;
const up = () => {
  if (++ready === 2) process.stdout.write('ready\n');
};

const server = createServer({ allowHalfOpen: true }, (s) => {
  let n = 0;
  s.on('data', (d: Buffer) => (n += d.length));
  s.on('end', () => s.end(Buffer.alloc(tcpReplyBytes(n), 0x7a)));
  s.on('error', () => s.destroy());
});
server.listen(Number(tcpPort), addr, up);

const udp = createSocket('udp4');
udp.on('message', (msg, rinfo) => udp.send(Buffer.alloc(udpReplyBytes(msg.length), 0x79), rinfo.port, rinfo.address));
udp.bind(Number(udpPort), addr, up);

const stop = () => {
  server.close();
  udp.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
