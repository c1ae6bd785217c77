"""What the strict test servers (gitlab_fake.py, lfs_fake.py) share: body readers
that refuse broken framing, the header-line recorder, and closing with an RST."""
import io
import re
import socket
import struct

PIECE = 256 * 1024
TOKEN_CHARS = re.compile(rb"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


class Violation(Exception):
    """The client broke the contract: 400 with this text."""


class Framing(Violation):
    """The body framing itself is broken: the connection cannot be reused."""


class Reset(Exception):
    pass


class ChunkedReader:
    """Strict reader of a chunked body: read(n) gives at most n bytes, b"" at the end.
    extensions: chunk extensions (";name=value") are allowed after the size."""

    def __init__(self, rfile, extensions=False):
        self.rfile, self.left, self.done, self.size = rfile, 0, False, 0
        self.size_line = rb"[0-9a-fA-F]{1,16}(;[^\r\n]*)?" if extensions else rb"[0-9a-fA-F]{1,16}"

    def _line(self, what):
        line = self.rfile.readline(4098)
        if not line:
            raise Framing("connection closed inside the chunked body (%s)" % what)
        if not line.endswith(b"\r\n"):
            raise Framing("%s not terminated by CRLF (or longer than 4 KiB): %r" % (what, line[:80]))
        return line[:-2]

    def read(self, n=PIECE):
        if self.done:
            return b""
        if self.left == 0:
            line = self._line("chunk size line")
            if not re.fullmatch(self.size_line, line):
                raise Framing("bad chunk size line %r (want hex digits then CRLF)" % line[:80])
            size = int(line.split(b";")[0], 16)
            if size == 0:
                while True:
                    t = self._line("trailer line")
                    if t == b"":
                        break
                    name = t.split(b":", 1)[0]
                    if b":" not in t or not TOKEN_CHARS.match(name):
                        raise Framing("bad trailer line %r" % t[:80])
                self.done = True
                return b""
            self.left = size
        want = min(n, self.left)
        data = self.rfile.read(want)
        if len(data) < want:
            raise Framing("connection closed inside a chunk (%d bytes missing)" % (self.left - len(data)))
        self.left -= want
        self.size += want
        if self.left == 0 and self.rfile.read(2) != b"\r\n":
            raise Framing("chunk data not followed by CRLF")
        return data


class LengthReader:
    def __init__(self, rfile, n):
        self.rfile, self.left, self.size = rfile, n, 0

    def read(self, n=PIECE):
        want = min(n, self.left)
        if want == 0:
            return b""
        data = self.rfile.read(want)
        if len(data) < want:
            raise Framing("connection closed with %d body bytes missing" % (self.left - len(data)))
        self.left -= want
        self.size += want
        return data


class LineRecorder:
    """Stands in for rfile while BaseHTTPRequestHandler reads the header lines."""

    def __init__(self, rfile):
        self.rfile, self.lines = rfile, []

    def readline(self, *a):
        line = self.rfile.readline(*a)
        self.lines.append(line)
        return line

    def __getattr__(self, name):
        return getattr(self.rfile, name)


def abort_connection(handler):
    """Closes handler's connection with an RST (SO_LINGER 0) and raises Reset."""
    handler.close_connection = True
    try:
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    for f in (handler.rfile, handler.wfile):
        try:
            f.close()
        except OSError:
            pass
    handler.connection.close()
    handler.rfile, handler.wfile = io.BytesIO(), io.BytesIO()  # for the handler's last flush
    raise Reset()
