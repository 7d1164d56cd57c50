"""The original's model, written for the course as a yardstick for `npm run bench`.

One blocking loop in one process, as lsbaws' webserver1.py and webserver3a.py
serve: accept a connection, read once, send a fixed response, close. No
parsing, no log, no lingering: the least a server can do per connection, so
the bench can say how close each of our models comes to it.

    python3 scripts/measure/python-loop.py --port 8888 --host localhost [--backlog 5]

close() hands the response to the kernel and releases the descriptor at
once: the kernel sends what is queued, then FIN, without waiting for the
client. (Had the client sent more than the one recv() read, close() would
answer with a reset instead: the lingering close of RFC 9112 section 9.6 is
what this loop leaves out.)
"""
import argparse
import socket

# The hello app's response, with the same body node:http and Part 2 send.
RESPONSE = (
    b"HTTP/1.1 200 OK\r\n"
    b"Content-Type: text/plain\r\n"
    b"Content-Length: 47\r\n"
    b"Connection: close\r\n"
    b"\r\n"
    b"Hello world from a simple gateway application!\n"
)
# Node's default backlog (net.Server.listen), so the loop and Part 1 queue alike.
# --backlog 5 is the original webserver3a.py's listen(5), which 3a keeps.
REQUEST_QUEUE_SIZE = 511


def serve_forever(host, port, backlog):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    listener.listen(backlog)
    print(f"Python loop: Serving HTTP on port {listener.getsockname()[1]} ...", flush=True)
    while True:
        connection, _ = listener.accept()
        try:
            connection.recv(1024)
            connection.sendall(RESPONSE)
        except OSError:
            pass  # the client reset: nothing to answer, go on to the next one
        connection.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8888)
    parser.add_argument("--host", default="localhost")
    parser.add_argument("--backlog", type=int, default=REQUEST_QUEUE_SIZE)
    options = parser.parse_args()
    try:
        serve_forever(options.host, options.port, options.backlog)
    except KeyboardInterrupt:
        pass
