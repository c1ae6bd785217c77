#!/usr/bin/env python3
"""The EC2 instance metadata service (IMDSv2) and the ECS container credentials
endpoint, as far as the AWS credential chain uses them. Prints "PORT <n>".
  PUT /latest/api/token                         needs X-aws-ec2-metadata-token-ttl-seconds
  GET /latest/meta-data/iam/security-credentials/[ROLE]   needs the token
  GET /container-creds                          needs Authorization: container-secret
Credentials: S3RVER / S3RVER (what tests/servers/objstore.js's S3 accepts)."""
import json
import socketserver
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

TOKEN = "imds-session-token"
CREDS = json.dumps({"Code": "Success", "AccessKeyId": "S3RVER", "SecretAccessKey": "S3RVER",
                    "Token": "", "Expiration": "2099-01-01T00:00:00Z"}).encode()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def reply(self, status, body=b""):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_PUT(self):
        if self.path == "/latest/api/token" and self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
            return self.reply(200, TOKEN.encode())
        return self.reply(400)

    def do_GET(self):
        if self.path == "/container-creds":
            ok = self.headers.get("Authorization") == "container-secret"
            return self.reply(200, CREDS) if ok else self.reply(401)
        if not self.path.startswith("/latest/meta-data/iam/security-credentials/"):
            return self.reply(404)
        if self.headers.get("X-aws-ec2-metadata-token") != TOKEN:
            return self.reply(401)
        role = self.path.rsplit("/", 1)[1]
        if not role:
            return self.reply(200, b"runner-role")
        return self.reply(200, CREDS) if role == "runner-role" else self.reply(404)


class Server(socketserver.ThreadingMixIn, HTTPServer):
    daemon_threads = True


srv = Server(("127.0.0.1", 0), Handler)
print("PORT %d" % srv.server_address[1], flush=True)
srv.serve_forever()
