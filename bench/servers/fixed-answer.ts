import { createServer } from "node:http";

/**
 * The ceiling: node:http answering every request with a fixed body read from argv (the
 * right answer of the workload), after reading the request like any server must.
 * Usage: node fixed-answer.ts <port> <answer body>
 */
const [port, body] = process.argv.slice(2) as [string, string];
const length = Buffer.byteLength(body);
createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    res.writeHead(200, { "Content-Type": "application/json", "Content-Length": length });
    res.end(body);
  });
}).listen(Number(port), "127.0.0.1", () => process.stdout.write("ready\n"));
