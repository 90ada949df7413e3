/**
 * The bench's baseline server: bare Express 5 that parses a JSON body and sends it back. Whatever the
 * triage service costs above this is the service's own work (validation, rules, logging), not
 * Node's, Express's or the loopback's.
 */
import express from 'express';

const port = Number(process.env.PORT ?? 0);
const host = process.env.HOST ?? '127.0.0.1';

const app = express();
app.disable('x-powered-by');
app.get('/readyz', (_req, res) => {
  res.json({ status: 'ready' });
});
app.use(express.json());
app.post('/{*path}', (req, res) => {
  res.json(req.body);
});

const server = app.listen(port, host);
server.on('error', (error) => {
  process.stderr.write(`echo-server: ${error.message}\n`);
  process.exit(1);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
